// Usage levels: a scripted scenario shows exactly what happened in the usage figures and the
// metrics; every event counts once even when the whole log is delivered again; members that never
// connect turn dormant and get a notice, and a connection ends it.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrapeAll } from "../../src/nats/mod.js";
import { provision, requestService, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { UsageClient, usageApi } from "../../src/usage/mod.js";
import type { RunningUsage } from "../../services/usage/service.js";
import { startTestHub, TEST_LARGE_FILE_STORE_BYTES, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const DAY = 86_400_000;
const N = 7; // messages BE → NL
const ANSWERED = 3; // of which NL answers
const M = 4; // record queries by DE

async function api(ap: TestAccessPoint, method: "GET" | "POST", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

/** The notices in a contact point's inbox stream (read with the hub's admin connection). */
async function noticesFor(hub: TestHub, cp: string): Promise<pb.Notice[]> {
  const jsm = await jetstreamManager(hub.admin);
  const subject = subjects.inbox(cp, "normal");
  const count = (await jsm.streams.info("INBOX", { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
  if (count === 0) return [];
  const c = await jetstream(hub.admin).consumers.get("INBOX", { deliver_policy: DeliverPolicy.All, filter_subjects: subject });
  const out: pb.Notice[] = [];
  const iter = await c.consume();
  for await (const m of iter) {
    const item = pb.InboxItem.decode(m.data);
    if (item.notice?.notice) out.push(pb.Notice.decode(item.notice.notice));
    if (m.info.pending === 0) break;
  }
  await iter.close();
  return out;
}

const sum = (r: pb.IUsageReport, cp: string, f: keyof pb.IUsageCounters) =>
  (r.counters ?? []).filter((c) => c.contactPoint === cp).reduce((n, c) => n + Number(c[f] ?? 0), 0);

describe("usage levels", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let de: TestAccessPoint;
  let usage: RunningUsage;
  let offset = 0;
  const clock = () => Date.now() + offset;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE", "FR"] });
    await hub.startExchange();
    await hub.startRecords();
    usage = await hub.startUsage({ now: clock });
    [be, nl, de] = await Promise.all([hub.startAp("BE"), hub.startAp("NL"), hub.startAp("DE")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("shows exactly N messages from BE to NL and M queries from DE, in the report and in the metrics", async () => {
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await api(be, "POST", "/v1/messages", {
        kind: "request",
        to: ["NL"],
        legalBasis: "enquiries",
        subject: `container ${i}`,
        body: `check container ${i}`,
        replyBy: new Date(Date.now() + DAY).toISOString(),
      });
      expect(res.status).toBe(202);
      ids.push(res.body.id as string);
    }
    await until(() => ids.every((id) => nl.mailbox.entries().some((e) => e.id === id)), "all delivered to NL");
    for (const id of ids.slice(0, ANSWERED)) expect((await api(nl, "POST", `/v1/messages/${id}/reply`, { body: "nothing found" })).status).toBe(202);
    await until(() => ids.slice(0, ANSWERED).every((id) => be.mailbox.status(be.mailbox.get(id)).status === "answered"), "BE to see the answers");
    for (let i = 0; i < M; i++) {
      const q = await api(de, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: `nobody ${i}` }], purpose: "border check" });
      expect(q.status).toBe(200);
    }
    await until(async () => {
      const r = await new UsageClient(hub.admin).report();
      return sum(r, "NL", "messagesAnswered") === ANSWERED && sum(r, "DE", "recordsQueried") === M;
    }, "usage to count the scenario");

    const r = await new UsageClient(hub.admin).report({ contactPoint: undefined });
    expect(sum(r, "BE", "messagesSent")).toBe(N);
    expect(sum(r, "NL", "messagesReceived")).toBe(N);
    expect(sum(r, "NL", "messagesAnswered")).toBe(ANSWERED);
    expect(sum(r, "NL", "repliesOnTime")).toBe(ANSWERED);
    expect(sum(r, "NL", "repliesLate")).toBe(0);
    expect(sum(r, "NL", "messagesSent")).toBe(ANSWERED); // the replies
    expect(sum(r, "BE", "messagesReceived")).toBe(ANSWERED);
    expect(sum(r, "DE", "recordsQueried")).toBe(M);
    expect(sum(r, "DE", "messagesSent")).toBe(0);
    const nlMonth = r.counters?.find((c) => c.contactPoint === "NL");
    expect(nlMonth?.month).toBe(new Date().toISOString().slice(0, 7));
    // Answered within a minute: every reply time lands in the first bucket.
    expect(nlMonth?.replyTimeHistogram?.[0]).toBe(ANSWERED);
    expect(r.replyTimeBoundsS?.[0]).toBe(60);
    // No personal data: counters and times only.
    expect(JSON.stringify(pb.UsageReport.toObject(pb.UsageReport.decode(pb.UsageReport.encode(r).finish())))).not.toMatch(/container|nobody|border/);

    const metrics = (await scrapeAll(hub.admin)).text;
    expect(metrics).toMatch(new RegExp(`liaison_usage_messages_sent\\{[^}]*cp="BE"[^}]*\\} ${N}\\b`));
    expect(metrics).toMatch(new RegExp(`liaison_usage_records_queried\\{[^}]*cp="DE"[^}]*\\} ${M}\\b`));
    expect(metrics).toMatch(/liaison_requests_total\{[^}]*endpoint="report"[^}]*service="usage"/);
    expect(metrics).toMatch(/liaison_consumer_pending\{[^}]*consumer="usage"/);
  });

  it("counts every event once, even when the whole audit log is delivered again", async () => {
    await usage.caughtUp();
    const before = await usage.report();
    // Replace the durable consumer: the usage service receives the whole log a second time.
    await usage.close();
    const jsm = await jetstreamManager(hub.admin);
    await jsm.consumers.delete("AUDIT", "usage");
    await provision(hub.admin, { contactPoints: ["BE", "NL", "DE", "FR"], largeFileStoreBytes: TEST_LARGE_FILE_STORE_BYTES });
    expect((await jsm.consumers.info("AUDIT", "usage")).num_pending).toBeGreaterThan(0);
    usage = await hub.startUsage({ now: clock });
    await usage.caughtUp();
    const after = await usage.report();
    expect(after.counters).toEqual(before.counters);
  });

  it("refuses a bad query with a reason code", async () => {
    await expect(requestService(hub.admin, usageApi.report, pb.UsageQuery.encode({ contactPoint: "B.E" }).finish())).rejects.toMatchObject({ code: "LIAISON_BAD_REQUEST" });
    await expect(requestService(hub.admin, usageApi.report, pb.UsageQuery.encode({ fromMonth: "2026-13" }).finish())).rejects.toMatchObject({ code: "LIAISON_BAD_REQUEST" });
    await expect(requestService(hub.admin, usageApi.report, Uint8Array.of(0xff, 0xff, 0xff))).rejects.toMatchObject({ code: "LIAISON_MALFORMED_PROTOBUF" });
  });

  it("flags a member that never connects as dormant, notifies it once, and warns before suspension; connecting ends it", async () => {
    const client = new UsageClient(hub.admin);
    const now = await client.checkDormancy();
    expect(now.activity?.find((a) => a.contactPoint === "FR")?.dormant).toBe(false);

    offset = 31 * DAY; // a month passes: nobody has connected since
    const month = await client.checkDormancy();
    const fr = month.activity?.find((a) => a.contactPoint === "FR");
    expect(fr?.dormant).toBe(true);
    expect(Number(fr?.lastConnectionMs)).toBe(0);
    expect(month.activity?.find((a) => a.contactPoint === "BE")?.dormant).toBe(true);
    await client.checkDormancy(); // a second check sends nothing new
    await until(async () => (await noticesFor(hub, "FR")).length === 1, "one dormancy notice to FR");
    expect((await noticesFor(hub, "FR"))[0]?.kind).toBe(pb.NoticeKind.NOTICE_KIND_DORMANT);
    const events = await hub.auditEvents();
    expect(events.filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_NOTICE && e.objectId === "FR")).toHaveLength(1);

    // BE's access point comes back (its clock agrees with the hub's): it is no longer dormant.
    await be.stop();
    be = await hub.startAp("BE", { now: clock });
    await usage.caughtUp();
    const back = await client.checkDormancy();
    expect(back.activity?.find((a) => a.contactPoint === "BE")?.dormant).toBe(false);
    expect(back.activity?.find((a) => a.contactPoint === "FR")?.dormant).toBe(true);
    expect((await client.report()).activity?.find((a) => a.contactPoint === "BE")?.dormant).toBe(false);

    offset = 81 * DAY; // within ten days of suspension for inactivity
    const late = await client.checkDormancy();
    const frLate = late.activity?.find((a) => a.contactPoint === "FR");
    expect(frLate?.suspensionWarning).toBe(true);
    expect(Number(frLate?.suspensionDueMs) - clock()).toBeLessThanOrEqual(10 * DAY);
    await until(async () => (await noticesFor(hub, "FR")).some((n) => n.kind === pb.NoticeKind.NOTICE_KIND_SUSPENSION_WARNING), "a suspension reminder to FR");
    expect((await scrapeAll(hub.admin)).text).toMatch(/liaison_cp_dormant\{[^}]*cp="FR"[^}]*\} 1/);
  });

  it("dates its reports by the service's clock, not the machine's", async () => {
    offset = 200 * DAY;
    const client = new UsageClient(hub.admin);
    const before = clock();
    const report = await client.report();
    const checked = await client.checkDormancy();
    const direct = await usage.report();
    const after = clock();
    for (const r of [report, checked, direct]) {
      expect(Number(r.generatedAtMs)).toBeGreaterThanOrEqual(before);
      expect(Number(r.generatedAtMs)).toBeLessThanOrEqual(after);
    }
  });
});
