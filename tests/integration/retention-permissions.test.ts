// The retention service's NATS identity may not change a data-key stream's config nor remove its
// replicas (security review of the stale-replica rebuild, finding 1), and no other service may
// write retention's keys in KV "state", which name the replicas to rebuild (finding 2). The
// administrator's rebuild acts only on a valid record, on a stream matching its spec, between the
// spec's R-1 and R replicas.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problems } from "../../src/cli/commands/status.js";
import { rebuildStaleReplicas, scrapeAll, STALE_REPLICAS_KEY, STREAMS } from "../../src/nats/mod.js";
import { systemStatus } from "../../src/ops/mod.js";
import { KeyReplicaWatch } from "../../services/retention/replicas.js";
import { quiet, startTestHub, type TestHub } from "../support/hub.js";
import { cli } from "../support/stack.js";

describe("the stale key-stream replica rebuild's permissions", () => {
  let hub: TestHub;
  let retention: NatsConnection;
  beforeAll(async () => {
    hub = await startTestHub();
    retention = await hub.connectHub("retention");
  }, 120_000);
  afterAll(async () => {
    await retention?.close();
    await hub?.stop();
  });

  const configOf = async (stream: string) => (await (await jetstreamManager(hub.admin)).streams.info(stream)).config;
  const stateValue = async () => (await (await new Kvm(hub.admin).open("state")).get(STALE_REPLICAS_KEY))?.string() ?? "";

  it("refuses the retention service's update of a data-key stream's config (deny_delete, sealed, max_age, republish, replicas)", async () => {
    const jsm = await jetstreamManager(retention);
    for (const change of [{ deny_delete: true }, { sealed: true }, { max_age: 1_000_000_000 }, { republish: { src: ">", dest: "liaison.v1.inbox.NL.normal.leak" } }, { num_replicas: 1 }]) {
      await expect(jsm.streams.update("RECORD_KEYS", change), JSON.stringify(change)).rejects.toThrow(/permission/i);
    }
    const c = await configOf("RECORD_KEYS");
    expect([c.deny_delete ?? false, c.sealed ?? false, c.max_age, c.republish]).toEqual([false, false, 0, undefined]);
  });

  it("refuses the retention service's removal of a data-key stream's peer", async () => {
    await expect(retention.request("$JS.API.STREAM.PEER.REMOVE.RECORD_KEYS", JSON.stringify({ peer: "n1" }), { timeout: 5_000 })).rejects.toThrow(/permission/i);
  });

  it("refuses another service's write of retention's keys in KV state, and lets each write its own", async () => {
    await (await new Kvm(hub.admin).open("state")).put(STALE_REPLICAS_KEY, "{}");
    const forged = JSON.stringify({ RECORD_KEYS: { seen: {}, behind: {}, stale: { n2: { sinceMs: 0 } } } });
    for (const service of ["usage", "audit"] as const) {
      const nc = await hub.connectHub(service);
      try {
        const state = await new Kvm(nc).open("state");
        await expect(state.put(STALE_REPLICAS_KEY, forged), service).rejects.toThrow(/permission/i);
        await expect(state.put("retention.lease", "taken"), service).rejects.toThrow(/permission/i);
        await state.put(`${service}.test-own-key`, "ok");
      } finally {
        await nc.close();
      }
    }
    expect(await stateValue()).toBe("{}");
    await (await new Kvm(retention).open("state")).put(STALE_REPLICAS_KEY, "{}");
  });

  it("ignores and logs a malformed record, in the retention service's watch and in the administrator's rebuild, and changes no stream", async () => {
    const state = await new Kvm(hub.admin).open("state");
    const lines: string[] = [];
    const log = pino({ level: "error" }, { write: (l: string) => void lines.push(l) });
    for (const forged of [{ RECORD_KEYS: null }, { RECORD_KEYS: { seen: {}, behind: { n2: { since: -1, replicas: 2 } } } }, { RECORD_KEYS: { stale: { "n2 x": { sinceMs: 0 } } } }, { OTHER: { stale: { n2: { sinceMs: 0 } } } }]) {
      await state.put(STALE_REPLICAS_KEY, JSON.stringify(forged));
      lines.length = 0;
      await new KeyReplicaWatch({ nc: retention, state: await new Kvm(retention).open("state"), log }).check();
      expect(lines.join(""), JSON.stringify(forged)).toMatch(/do not parse/);
      await expect(rebuildStaleReplicas({ nc: hub.admin, state, log: quiet, replicas: 3, settleMs: 1_000 })).rejects.toThrow(/do not parse/);
      expect(await stateValue()).toBe(JSON.stringify(forged));
      expect((await configOf("RECORD_KEYS")).num_replicas).toBe(1);
    }
  });

  it("refuses to rebuild a stream whose live config differs from its spec, or whose replica count is neither R nor R-1", async () => {
    const state = await new Kvm(hub.admin).open("state");
    await state.put(STALE_REPLICAS_KEY, JSON.stringify({ RECORD_KEYS_1: { seen: {}, behind: {}, stale: { n2: { sinceMs: 0 } } } }));
    const jsm = await jetstreamManager(hub.admin);
    // Operations' status: every stream as its spec says, the pending rebuild named.
    let s = await systemStatus(hub.admin, { waitMs: 100, staleReplicas: true });
    expect(s.driftedStreams).toEqual([]);
    expect(problems(s, 10_000)).toContain("stream RECORD_KEYS_1: replica on node n2 holds erased data, rebuild pending (liaison provision --rebuild-stale-replicas)");
    await jsm.streams.update("RECORD_KEYS_1", { max_msgs_per_subject: 5 });
    s = await systemStatus(hub.admin, { waitMs: 100, staleReplicas: true });
    expect(s.driftedStreams).toEqual([{ stream: "RECORD_KEYS_1", fields: ["max_msgs_per_subject"] }]);
    expect(problems(s, 10_000)).toContain("stream RECORD_KEYS_1: live config differs from its spec in max_msgs_per_subject");
    // And the retention service's gauge, for the alert (LiaisonStreamConfigDrift); its compliance
    // gauges ask the audit service.
    await hub.startAudit();
    const svc = await hub.startRetention();
    try {
      // The retention service answers the scrape once its first drift check is done; on a loaded
      // machine that can miss one scrape's window, so scrape until it has answered.
      let m = "";
      for (const end = Date.now() + 30_000; Date.now() < end && !/liaison_stream_config_drift\{/.test(m); ) m = (await scrapeAll(hub.admin, 5_000)).text;
      expect(m).toMatch(/liaison_stream_config_drift\{[^}]*stream="RECORD_KEYS_1"[^}]*\} 1\b/);
      expect(m).toMatch(/liaison_stream_config_drift\{[^}]*stream="RECORD_KEYS"[^}]*\} 0\b/);
      expect(m).toMatch(/liaison_key_replicas_rebuild_pending\{?[^}\n]*\}? 0\b/);
    } finally {
      await svc.close();
    }
    const [drifted] = await rebuildStaleReplicas({ nc: hub.admin, state, log: quiet, replicas: 2, settleMs: 1_000 });
    expect(drifted).toMatchObject({ stream: "RECORD_KEYS_1", node: "n2", outcome: "refused" });
    expect(drifted?.reason).toMatch(/differs from its spec in max_msgs_per_subject/);
    expect((await configOf("RECORD_KEYS_1")).max_msgs_per_subject).toBe(5);
    await jsm.streams.update("RECORD_KEYS_1", { max_msgs_per_subject: STREAMS.RECORD_KEYS_1?.max_msgs_per_subject ?? 1 });
    // One replica on a single server, the spec asking three: neither 3 nor 2, so untouched.
    const [outside] = await rebuildStaleReplicas({ nc: hub.admin, state, log: quiet, replicas: 3, settleMs: 1_000 });
    expect(outside).toMatchObject({ outcome: "refused" });
    expect(outside?.reason).toMatch(/has 1 replicas, neither the spec's 3 nor 2/);
    expect((await configOf("RECORD_KEYS_1")).num_replicas).toBe(1);
    // Refused, so still pending.
    expect(JSON.parse(await stateValue())).toEqual({ RECORD_KEYS_1: { seen: {}, behind: {}, stale: { n2: { sinceMs: 0 } } } });
    // The same through the command operations run, with the administrator's credentials: exit 1, the reason given.
    const env = { NATS_URL: process.env.NATS_URL, NATS_CREDS: process.env.NATS_CREDS };
    process.env.NATS_URL = hub.nats.url;
    process.env.NATS_CREDS = hub.secrets.hub["stack-admin"].seedFile;
    try {
      const r = cli(mkdtempSync(join(tmpdir(), "liaison-home-")), ["provision", "--rebuild-stale-replicas", "--replicas", "3", "--json"]);
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject([{ stream: "RECORD_KEYS_1", node: "n2", outcome: "refused", reason: expect.stringMatching(/neither the spec's 3 nor 2/) }]);
    } finally {
      for (const [k, v] of Object.entries(env)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect((await configOf("RECORD_KEYS_1")).num_replicas).toBe(1);
  });
});
