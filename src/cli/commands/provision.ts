// `liaison provision`: creates or updates the hub's streams, buckets, object stores and consumers
// with the given replica count (what `npm start` does at start-up), for a deployed server or
// cluster, with the administrator's credentials (NATS_URL / NATS_CREDS). Run again after adding a
// contact point, or with --replicas 3 to move a single server's stores onto a new cluster's three
// nodes in place. Changes nothing it does not list. With --rebuild-stale-replicas it rebuilds the
// data-key stream replicas the retention service recorded as holding erased data (issue #14),
// instead of provisioning: only the administrator may change a stream's replica count.
import { Kvm } from "@nats-io/kv";
import type { Command } from "commander";
import { cliSchema, loadConfig } from "../../config/mod.js";
import { isContactPointCode } from "../../domain/mod.js";
import { createLogger } from "../../log/mod.js";
import { provision, rebuildStaleReplicas } from "../../nats/mod.js";
import { hubConnection } from "../hub-connection.js";
import { fail, printJson, printTable } from "../output.js";

export function register(program: Command): void {
  program
    .command("provision")
    .description("create or update the hub's streams, buckets and consumers (replicas: 1 on one server, 3 on a cluster)")
    .option("--replicas <n>", "replicas of every stream, bucket and object store (default LIAISON_REPLICAS, else 1)")
    .option("--cp <codes>", "contact points whose inbox consumers to provision, comma-separated (e.g. BE,NL)", "")
    .option("--rebuild-stale-replicas", "rebuild the data-key stream replicas recorded as holding erased data (liaison status lists them), and nothing else")
    .option("--json")
    .action(async (o: { replicas?: string; cp: string; json?: boolean; rebuildStaleReplicas?: boolean }) => {
      try {
        const replicas = o.replicas === undefined ? loadConfig("cli", cliSchema).replicas : Number(o.replicas);
        if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw new Error(`--replicas must be 1, 3 or 5 (got ${JSON.stringify(o.replicas)})`);
        const cps = o.cp.split(",").map((c) => c.trim()).filter(Boolean);
        const bad = cps.filter((c) => !isContactPointCode(c));
        if (bad.length) throw new Error(`not contact point codes: ${bad.join(", ")}`);
        const nc = await hubConnection("liaison-cli-provision");
        try {
          if (o.rebuildStaleReplicas) {
            const state = await new Kvm(nc).open("state");
            const results = await rebuildStaleReplicas({ nc, state, replicas, log: createLogger("liaison-cli-provision", "silent") });
            // Exit 1 unless every recorded replica was rebuilt (a refusal names why).
            if (results.some((r) => r.outcome !== "rebuilt")) process.exitCode = 1;
            if (o.json) return printJson(results);
            printTable(results.map((r) => ({ stream: r.stream, node: r.node, outcome: r.outcome, reason: r.reason ?? "", tookMs: r.tookMs })), ["stream", "node", "outcome", "reason", "tookMs"]);
            process.stdout.write(`${results.filter((r) => r.outcome === "rebuilt").length} of ${results.length} stale replica(s) rebuilt\n`);
            return;
          }
          const entries = await provision(nc, { replicas, contactPoints: cps, largeFileStoreBytes: loadConfig("cli", cliSchema).largeFileStoreBytes });
          if (o.json) return printJson(entries);
          printTable(entries.map((e) => ({ kind: e.kind, name: e.name, action: e.action })), ["kind", "name", "action"]);
          const changed = entries.filter((e) => e.action !== "unchanged").length;
          process.stdout.write(`${entries.length} item(s), ${changed} created or updated, replicas ${replicas}\n`);
        } finally {
          await nc.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
