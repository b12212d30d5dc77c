// The operator's daily work from the command line (issue #17), run as the operator runs it against
// real access points: notices, hit outcomes, legal holds and case threads had HTTP routes but no
// command; `inbox` without --ap silently used the first member of the stack; `read`, `inbox` and
// `status` left out the special form and its location, the spontaneous basis, a declined answer's
// reason, a rejection's meaning, the reply-by time and the handling codes.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageOut, RecordOut } from "../../src/api/mod.js";
import { ERRORS } from "../../src/errors.js";
import { pb } from "../../src/proto/mod.js";
import { writeStackFile } from "../../src/stack/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;
const ROOT = join(import.meta.dirname, "..", "..");
const exec = promisify(execFile);

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

const url = (ap: TestAccessPoint) => `http://127.0.0.1:${(ap.app.server.address() as AddressInfo).port}`;

describe("the operator's daily work in the CLI", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let beClockOffset = 0;
  const homes: string[] = [];
  let home = "";

  /** A $LIAISON_HOME whose stack.json lists these access points, as `npm start` writes it. */
  function stackHome(aps: TestAccessPoint[]): string {
    const dir = mkdtempSync(join(tmpdir(), "liaison-cli-"));
    homes.push(dir);
    writeStackFile(dir, {
      ready: true,
      home: dir,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      nats: { url: hub.nats.url, embedded: false },
      accessPoints: Object.fromEntries(aps.map((ap) => [ap.cp, { url: url(ap), operatorToken: ap.token, operatorUser: `op-${ap.cp}` }])),
      services: [],
    });
    return dir;
  }

  /** Runs `liaison ...` in a child process (the access points answer meanwhile in this one). */
  async function cli(args: string[], at = home): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, LIAISON_HOME: at };
    delete env.LIAISON_URL;
    delete env.LIAISON_TOKEN;
    try {
      const r = await exec(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  /** BE sends this to NL; resolves once NL holds it. */
  async function sendToNl(msg: Json): Promise<string> {
    const sent = await api(be, "POST", "/v1/messages", { to: ["NL"], body: "", ...msg });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const id = sent.body.id as string;
    await until(() => nl.mailbox.has(id), `message ${id} at NL`);
    return id;
  }

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    be = await hub.startAp("BE", { now: () => Date.now() + beClockOffset });
    nl = await hub.startAp("NL");
    await be.app.listen({ port: 0, host: "127.0.0.1" });
    await nl.app.listen({ port: 0, host: "127.0.0.1" });
    home = stackHome([be, nl]);
  });
  afterAll(async () => {
    await hub?.stop();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  it("refuses to guess which member acts when the stack runs several access points, and lists them", async () => {
    await sendToNl({ kind: "request", legalBasis: "enquiries", subject: "Which inbox?" });
    const guessed = await cli(["inbox"]);
    expect(guessed.code).toBe(1);
    expect(guessed.stdout).toBe("");
    expect(guessed.stderr).toMatch(/LIAISON_VALIDATION: .*2 access points \(BE, NL\).*--ap BE/);

    const named = await cli(["inbox", "--ap", "NL", "--json"]);
    expect(named.code).toBe(0);
    expect((JSON.parse(named.stdout) as { items: Json[] }).items.length).toBeGreaterThan(0);
    // A stack of one access point leaves nothing to guess.
    const alone = await cli(["inbox", "--json"], stackHome([nl]));
    expect(alone.stderr).toBe("");
    expect(alone.stdout).toBe(named.stdout);
  });

  it("shows an inbox row's subject, reply-by (OVERDUE once passed), priority and handling codes", async () => {
    const replyBy = new Date(Date.now() + 2_500).toISOString();
    const id = await sendToNl({ kind: "request", legalBasis: "enquiries", subject: "Container MSCU1234566", priority: "urgent", replyBy, handling: { codes: ["H2"] } });
    await new Promise((r) => setTimeout(r, Date.parse(replyBy) - Date.now() + 200));
    const inbox = await cli(["inbox", "--ap", "NL"]);
    expect(inbox.code).toBe(0);
    const [head] = inbox.stdout.split("\n");
    expect(head).toMatch(/^id\s+kind\s+from\s+to\s+priority\s+subject\s+handling\s+replyBy\s+createdAt\s+caseRef\s+status$/);
    const row = inbox.stdout.split("\n").find((l) => l.startsWith(id)) ?? "";
    expect(row).toMatch(new RegExp(`^${id}\\s+request\\s+BE\\s+NL\\s+urgent\\s+Container MSCU1234566\\s+H2\\s+${replyBy.replace(/\./g, "\\.")} OVERDUE\\s`));
    // Listing opened it for its subject, which is not reading it: still unread, and no read receipt went to BE.
    expect(row).toMatch(/\snew \(OVERDUE\)\s*$/);
    const sent = await cli(["inbox", "--ap", "BE", "--box", "sent", "--json"]);
    const mine = (JSON.parse(sent.stdout) as { items: { id: string; subject?: string; recipients?: Record<string, { status: string }> }[] }).items.find((m) => m.id === id);
    expect(mine?.subject).toBe("Container MSCU1234566");
    expect(mine?.recipients?.NL?.status).not.toBe("read");
  });

  it("lists the inbox urgent first, in arrival order on request, filtered and searched", async () => {
    const caseRef = `BE-INBOX-${Date.now()}`;
    const urgent = await sendToNl({ kind: "request", legalBasis: "surveillance", priority: "urgent", subject: "Watch the reefer", body: "Undeclared tobacco behind the fruit.", caseRef });
    const normal = await sendToNl({ kind: "request", legalBasis: "enquiries", subject: "Check the consignee", caseRef });
    const spontaneous = await sendToNl({ kind: "spontaneous", spontaneousBasis: "information", subject: "FYI", caseRef });
    const ids = async (args: string[]) => {
      const r = await cli(["inbox", "--ap", "NL", "--case-ref", caseRef, "--json", ...args]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { items: Array<{ id: string }> }).items.map((i) => i.id);
    };
    expect(await ids([])).toEqual([urgent, spontaneous, normal]);
    expect(await ids(["--order", "arrival"])).toEqual([spontaneous, normal, urgent]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await ids(["--priority", "urgent", "--kind", "request", "--counterpart", "BE", "--legal-basis", "surveillance", "--from", today, "--to", today])).toEqual([urgent]);
    expect(await ids(["--kind", "spontaneous", "--priority", "normal"])).toEqual([spontaneous]);
    expect(await ids(["--search", "TOBACCO fruit"])).toEqual([urgent]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await ids(["--from", tomorrow])).toEqual([]);
  });

  it("prints a message's legal basis, spontaneous basis, special form and where it takes place", async () => {
    const request = await sendToNl({ kind: "request", legalBasis: "surveillance", subject: "Watch the truck" });
    const spontaneous = await sendToNl({ kind: "spontaneous", spontaneousBasis: "surveillance", subject: "FYI" });
    const special = await sendToNl({
      kind: "special-form",
      subject: "Controlled delivery of 40 cartons",
      specialForm: { form: "controlled-delivery", location: "Port of Rotterdam, quay 7", startsAt: "2027-01-10T06:00:00.000Z", endsAt: "2027-01-12T18:00:00.000Z" },
    });
    const read = async (id: string) => {
      const r = await cli(["read", id, "--ap", "NL"]);
      expect(r.stderr).toBe("");
      return r.stdout;
    };
    expect(await read(request)).toMatch(/^Legal basis: surveillance/m);
    expect(await read(spontaneous)).toMatch(/^Spontaneous basis: surveillance$/m);
    expect(await read(special)).toMatch(/^Special form: controlled-delivery at Port of Rotterdam, quay 7 from 2027-01-10T06:00:00\.000Z to 2027-01-12T18:00:00\.000Z$/m);
  });

  it("shows a declined answer as declined with its reason, in `read` and in the case's thread", async () => {
    const request = await sendToNl({ kind: "request", legalBasis: "enquiries", subject: "Please check the consignee", caseRef: "BE-2026-0815" });
    const reason = "Outside Art. 10: the consignee is under a national investigation";
    const answered = await api(nl, "POST", `/v1/messages/${request}/reply`, { body: "", declined: true, declineReason: reason });
    expect(answered.status).toBe(202);
    const replyId = answered.body.id as string;
    await until(() => be.mailbox.has(replyId), "the reply at BE");

    const read = await cli(["read", replyId, "--ap", "BE"]);
    expect(read.code).toBe(0);
    expect(read.stdout).toMatch(new RegExp(`^Case BE-2026-0815 · in reply to ${request} · declined$`, "m"));
    expect(read.stdout).toContain(`DECLINED: ${reason}`);

    const thread = await cli(["case", "BE-2026-0815", "--ap", "BE"]);
    expect(thread.code).toBe(0);
    expect(thread.stdout).toMatch(/^Case BE-2026-0815: 2 message\(s\)$/m);
    const first = thread.stdout.indexOf(`Message ${request}`);
    const second = thread.stdout.indexOf(`Message ${replyId}`);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(thread.stdout).toContain("Subject: Please check the consignee");
    expect(thread.stdout.slice(second)).toContain(`DECLINED: ${reason}`);
    expect((await cli(["case", "NO-SUCH-CASE", "--ap", "BE"])).stderr).toMatch(/LIAISON_NOT_FOUND/);
  });

  it("says why the hub rejected a message: its code and what the code means", async () => {
    // BE's clock runs a day ahead: the exchange refuses what it creates as too far in the future.
    beClockOffset = 86_400_000;
    let id = "";
    try {
      const sent = await api(be, "POST", "/v1/messages", { kind: "request", legalBasis: "enquiries", to: ["NL"], subject: "From the future", body: "" });
      expect(sent.status).toBe(202);
      id = sent.body.id as string;
      await until(async () => ((await api(be, "GET", `/v1/messages/${id}`)).body as MessageOut).status === "rejected", "the rejection at BE");
    } finally {
      beClockOffset = 0;
    }
    const words = ERRORS.LIAISON_CLOCK_SKEW.message;
    const status = await cli(["status", id, "--ap", "BE"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^NL\\s+rejected\\s+\\S+\\s+LIAISON_CLOCK_SKEW: ${words}: created \\d+ s after it arrived$`, "m"));
    const read = await cli(["read", id, "--ap", "BE"]);
    expect(read.stdout).toMatch(new RegExp(`^REJECTED for NL: LIAISON_CLOCK_SKEW: ${words}`, "m"));
  });

  it("sets a legal hold that stops erasure, shows it, and lifts it", async () => {
    const created = await api(be, "POST", "/v1/records", { category: "person", purpose: "specific-check", identifiers: [{ type: "person-name", value: "Hold Hendrik" }] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const noReason = await cli(["records", "hold", id, "--ap", "BE"]);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toMatch(/LIAISON_VALIDATION: .*--reason/);

    const held = await cli(["records", "hold", id, "--reason", "court order 12/2026", "--until", "2027-01-31", "--ap", "BE"]);
    expect(held.stderr).toBe("");
    expect(held.stdout).toMatch(new RegExp(`^${id}: LEGAL HOLD by BE:\\S+: court order 12/2026 \\(until 2027-01-31T23:59:59\\.000Z\\)$`, "m"));
    const record = (await api(be, "GET", `/v1/records/${id}`)).body as RecordOut;
    expect(record.hold).toMatchObject({ reason: "court order 12/2026", until: "2027-01-31T23:59:59.000Z" });
    expect((await api(be, "DELETE", `/v1/records/${id}`)).body).toMatchObject({ code: "LIAISON_ON_HOLD" });

    const lifted = await cli(["records", "hold", id, "--lift", "--ap", "BE"]);
    expect(lifted.stdout).toMatch(new RegExp(`^${id}: no legal hold; review due \\S+$`, "m"));
    expect(((await api(be, "GET", `/v1/records/${id}`)).body as RecordOut).hold).toBeUndefined();
  });

  it("lists notices (a hit, its outcome, an erasure with its certificate) and reports a hit's outcome", async () => {
    const created = await api(be, "POST", "/v1/records", { category: "person", purpose: "specific-check", identifiers: [{ type: "person-name", value: "Notice Nora" }] });
    const id = created.body.id as string;
    const q = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "nora notice" }], purpose: "border check, case NL-91" });
    const hitId = (q.body.matches as Array<{ hitId: string }>)[0]?.hitId ?? "";
    expect(hitId).not.toBe("");
    await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_HIT && n.notice.objectId === id), "the hit notice at BE");

    const hits = await cli(["notices", "--kind", "hit", "--ap", "BE"]);
    expect(hits.code).toBe(0);
    expect(hits.stdout).toMatch(new RegExp(`\\shit\\s+record ${id}\\s+NL\\s+border check, case NL-91\\s.*hitId=${hitId}`));

    const reported = await cli(["hits", "outcome", hitId, "--outcome", "person checked and released", "--ap", "NL"]);
    expect(reported.stderr).toBe("");
    expect(reported.stdout).toBe(`${hitId}: outcome reported to the supplier: person checked and released\n`);
    await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_HIT_OUTCOME && n.notice.details.hitId === hitId), "the outcome at BE");
    const all = await cli(["notices", "--ap", "BE"]);
    expect(all.stdout).toMatch(new RegExp(`\\shit-outcome\\s+record ${id}\\s.*hitId=${hitId}.*outcome=person checked and released`));

    const erased = await api(be, "DELETE", `/v1/records/${id}?reason=case%20closed`);
    const certificate = erased.body.certificate as Json;
    await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_ERASED && n.notice.erasures.some((c) => c.certificate?.objectId === id)), "the erasure notice at BE");
    const erasures = await cli(["notices", "--kind", "erasure", "--ap", "BE"]);
    expect(erasures.code).toBe(0);
    expect(erasures.stdout).not.toMatch(/\shit\s/);
    expect(erasures.stdout).toMatch(new RegExp(`\\serased\\s+record ${id}\\s`));
    expect(erasures.stdout).toMatch(/^Erasure certificates of notice \S+ \(keep them\):$/m);
    expect(erasures.stdout).toContain(`  objectId: ${id}`);
    expect(erasures.stdout).toContain(`  auditEventId: ${String(certificate.auditEventId)}`);
    expect(erasures.stdout).toContain(`  auditLeafHash: ${String(certificate.auditLeafHash)}`);
  });
});
