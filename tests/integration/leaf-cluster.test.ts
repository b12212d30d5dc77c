// A member's leaf node joined to a three-node hub cluster (issue #14): its remote lists every
// node's leaf listener (deploy/nats/leafnode-cp.conf), and when the node it is connected to is
// killed (SIGKILL) while the member sends and receives, the leaf reconnects to another node and
// nothing accepted is lost or delivered twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster, RunningNatsServer } from "../../src/nats/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

async function send(from: TestAccessPoint, to: string, i: number, caseRef: string) {
  const r = await from.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${from.token}` }, payload: { kind: "request", to: [to], legalBasis: "enquiries", subject: `m${i}`, body: `message ${i}`, caseRef } });
  return { status: r.statusCode, body: r.json() as { id?: string; code?: string } };
}

describe("a member's leaf node on a hub cluster", () => {
  let hub: TestHub;
  let cluster: LocalCluster;
  let beLeaf: RunningNatsServer;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"], leaves: ["BE"], cluster: 3 });
    cluster = hub.nats.cluster as LocalCluster;
    await hub.startExchange();
    beLeaf = await hub.startLeaf("BE");
    [be, nl] = await Promise.all([hub.startAp("BE", { via: beLeaf.url }), hub.startAp("NL")]);
  }, 240_000);
  afterAll(async () => {
    await hub?.stop();
  });

  /** The hub nodes that hold a leaf connection now (their /leafz). */
  const leafHolders = async () => {
    const held: string[] = [];
    for (const n of cluster.nodes.filter((x) => x.running)) {
      const r = await fetch(`${n.server.monitorUrl}/leafz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      const leafz = (await r?.json().catch(() => undefined)) as { leafnodes?: number } | undefined;
      if ((leafz?.leafnodes ?? 0) > 0) held.push(n.name);
    }
    return held;
  };

  it("reconnects the leaf to another node when the one it uses dies, and loses or doubles nothing either way", async () => {
    await until(async () => (await leafHolders()).length === 1, "the leaf connected to one hub node", 30_000);
    const [victim] = await leafHolders();
    const out = "LEAF-OUT"; // BE → NL, through the leaf
    const back = "LEAF-BACK"; // NL → BE, delivered through the leaf
    const accepted = { [out]: [] as string[], [back]: [] as string[] };
    const refused: Array<{ status: number; code: string }> = [];
    let killedAt = 0;
    let reconnectMs = -1;
    const watch = (async () => {
      while (!killedAt) await new Promise((r) => setTimeout(r, 10));
      await until(async () => (await leafHolders()).some((h) => h !== victim), "the leaf on another hub node", 60_000);
      reconnectMs = Date.now() - killedAt;
    })();
    try {
      for (let i = 0; i < 200; i += 10) {
        if (i === 60) {
          await cluster.kill(victim as string);
          killedAt = Date.now();
        }
        await Promise.all(
          Array.from({ length: 10 }, async (_, k) => {
            const [a, b] = await Promise.all([send(be, "NL", i + k, out), send(nl, "BE", i + k, back)]);
            for (const [r, ref] of [[a, out], [b, back]] as const) {
              if (r.status === 202 && r.body.id) accepted[ref].push(r.body.id);
              else refused.push({ status: r.status, code: String(r.body.code) });
            }
          }),
        );
      }
      await watch;
      process.stdout.write(
        `hub node ${victim} (holding BE's leaf) killed: the leaf was on another node ${reconnectMs} ms later; accepted ${accepted[out].length} BE→NL and ${accepted[back].length} NL→BE, refused ${refused.length} (${JSON.stringify(refused.slice(0, 3))})\n`,
      );
      expect(reconnectMs).toBeGreaterThanOrEqual(0);
      expect((await leafHolders()).includes(victim as string)).toBe(false);
      // A refusal is a clear one; BE keeps what it could not submit and resubmits it by itself.
      for (const r of refused) expect(["LIAISON_UNAVAILABLE", "LIAISON_TIMEOUT"]).toContain(r.code);
      // Every accepted message arrives, once; and all that the sender holds as sent (a refused one
      // is kept and resubmitted) arrives, nothing else.
      await until(() => accepted[out].every((id) => nl.mailbox.has(id)) && accepted[back].every((id) => be.mailbox.has(id)), "every accepted message delivered", 120_000);
      const inbox = (ap: TestAccessPoint, ref: string) => ap.mailbox.entries().filter((e) => e.box === "inbox" && e.header.caseRef === ref).map((e) => e.id);
      const sent = (ap: TestAccessPoint, ref: string) => new Set(ap.mailbox.entries().filter((e) => e.box === "sent" && e.header.caseRef === ref).map((e) => e.id));
      for (const [from, to, ref] of [[be, nl, out], [nl, be, back]] as const) {
        await until(() => inbox(to, ref).length >= sent(from, ref).size, `everything kept as sent (${ref}) delivered`, 120_000);
        const ids = inbox(to, ref);
        expect(new Set(ids).size, `${ref} delivered twice`).toBe(ids.length);
        expect(new Set(ids)).toEqual(sent(from, ref));
      }
    } finally {
      await cluster.start(victim as string);
      await cluster.waitReady(60_000);
    }
  }, 400_000);
});
