// The back office is told, not asked: a real local HTTP server receives the access point's signed
// webhooks (new message, receipts, hit), its delivery log is read and replayed, a stop mid-retry
// loses nothing, and GET /v1/events streams the same events, resumable with Last-Event-ID.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliveriesOut, DeliveryOut, PushEventOut } from "../../src/api/mod.js";
import { pb } from "../../src/proto/mod.js";
import { verifySignature } from "../../services/access-point/push/signature.js";
import type { AccessPointSettings } from "../../services/access-point/service.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;
const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const SECRET = "a-back-office-secret-of-more-than-32-characters";

interface Received {
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  readonly event: PushEventOut;
  readonly status: number;
}

/** The national back office: answers each webhook with `answer(event)` (a status, or "hang"). */
class BackOffice {
  readonly received: Received[] = [];
  answer: (e: PushEventOut) => number | "hang" = () => 200;
  readonly #hanging: ServerResponse[] = [];
  readonly #server: Server;
  url = "";

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const event = JSON.parse(body) as PushEventOut;
        const a = this.answer(event);
        if (a === "hang") {
          this.#hanging.push(res);
          return;
        }
        this.received.push({ headers: req.headers, body, event, status: a });
        res.writeHead(a).end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/liaison/events`;
  }

  /** Events answered 2xx, in the order they came. */
  accepted(): PushEventOut[] {
    return this.received.filter((r) => r.status < 300).map((r) => r.event);
  }

  async stop(): Promise<void> {
    for (const r of this.#hanging) r.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

async function api(ap: TestAccessPoint, method: "GET" | "POST", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

const request = (to: string[], body: string) => ({ kind: "request", to, legalBasis: "enquiries", subject: `Subject line ${body}`, body });

/** Reads Server-Sent Events from an open response until `enough` holds. */
async function readEvents(res: Response, enough: (events: PushEventOut[], raw: string) => boolean): Promise<{ events: PushEventOut[]; raw: string }> {
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  let raw = "";
  const events: PushEventOut[] = [];
  while (!enough(events, raw)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    raw += new TextDecoder().decode(chunk.value);
    events.length = 0;
    for (const m of raw.matchAll(/id: (\d+)\nevent: (\w+)\ndata: (.*)\n\n/g)) {
      const e = JSON.parse(m[3] ?? "{}") as PushEventOut;
      expect([e.id, e.type]).toEqual([m[1], m[2]]);
      events.push(e);
    }
  }
  return { events, raw };
}

describe("push to the back office", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let office: BackOffice;
  /** BE's back office, which takes receipts only. */
  let beOffice: BackOffice;
  let dir: string;
  let settings: Partial<AccessPointSettings>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "liaison-push-"));
    writeFileSync(join(dir, "webhook.secret"), `${SECRET}\n`, { mode: 0o600 });
    office = new BackOffice();
    await office.start();
    beOffice = new BackOffice();
    await beOffice.start();
    settings = { webhookUrl: office.url, webhookSecretFile: join(dir, "webhook.secret"), webhookMaxAttempts: 4, webhookRetryBase: 150, webhookMaxDelay: 600, webhookTimeout: 5_000 };
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    [be, nl] = await Promise.all([
      hub.startAp("BE", { settings: { ...settings, webhookUrl: beOffice.url, webhookEvents: ["receipt"] } }),
      hub.startAp("NL", { settings }),
    ]);
  });
  afterAll(async () => {
    await hub?.stop();
    await office?.stop();
    await beOffice?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("posts a new message, its receipts and a hit to the back office, signed over time and body, without their content", async () => {
    const res = await api(be, "POST", "/v1/messages", request(["NL"], "check container MSCU1234566"));
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await until(() => office.accepted().some((e) => e.type === "message" && e.messageId === id), "the new message at the back office");
    const got = office.received.find((r) => r.event.messageId === id);
    if (!got) throw new Error("unreachable");
    expect(got.event).toMatchObject({ type: "message", kind: "request", counterpart: "BE", messageId: id, priority: "normal" });
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["liaison-event-id"]).toBe(got.event.id);
    const signature = String(got.headers["liaison-signature"]);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, got.body, signature, Date.now())).toBe(true);
    // An altered body, another secret, an old timestamp: refused.
    expect(verifySignature(SECRET, got.body.replace('"BE"', '"DE"'), signature, Date.now())).toBe(false);
    expect(verifySignature("another-secret-of-more-than-32-characters!", got.body, signature, Date.now())).toBe(false);
    expect(verifySignature(SECRET, got.body, signature, Date.now() + 600_000)).toBe(false);

    // NL's own message to BE: the back office hears accepted, delivered and read.
    const sent = await api(nl, "POST", "/v1/messages", request(["BE"], "ask about vessel"));
    const sentId = sent.body.id as string;
    await until(() => be.mailbox.has(sentId), "delivery at BE");
    expect((await api(be, "GET", `/v1/messages/${sentId}`)).status).toBe(200);
    await until(() => office.accepted().filter((e) => e.type === "receipt" && e.messageId === sentId).length >= 3, "three receipts at the back office");
    const receipts = office.accepted().filter((e) => e.type === "receipt" && e.messageId === sentId);
    expect(receipts.map((e) => e.kind).sort()).toEqual(["accepted", "delivered", "read"]);
    expect(receipts.find((e) => e.kind === "read")).toMatchObject({ counterpart: "BE", messageId: sentId });

    // BE's webhook takes receipts only: the message from NL is in BE's push log (for its event
    // stream), not sent to its back office, which does get the receipts on BE's message.
    const beEvents = async () => {
      const out: PushEventOut[] = [];
      await be.push.eventsAfter(0, (e) => out.push(e));
      return out;
    };
    await until(async () => (await beEvents()).some((e) => e.type === "message" && e.messageId === sentId), "the message event in BE's push log");
    await until(() => beOffice.accepted().some((e) => e.type === "receipt" && e.messageId === id && e.kind === "delivered"), "BE's back office to hear its message delivered");
    expect(beOffice.received.every((r) => r.event.type === "receipt")).toBe(true);
    expect(((await api(be, "GET", "/v1/webhooks/deliveries?limit=1000")).body as unknown as DeliveriesOut).items.every((d) => d.event.type === "receipt")).toBe(true);

    // A hit on a record of NL's.
    const rec = await api(nl, "POST", "/v1/records", {
      category: "person",
      purpose: "specific-check",
      suggestedAction: "check luggage",
      identifiers: [{ type: "person-name", value: "Jansen, Pieter", dateOfBirth: "1970-01-02" }],
      freeText: "Suspected of excise fraud",
    });
    expect(rec.status).toBe(201);
    const q = await api(be, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "pieter jansen" }], purpose: "border check" });
    expect((q.body.matches as unknown[]).length).toBe(1);
    await until(() => office.accepted().some((e) => e.type === "hit" && e.objectId === rec.body.id), "the hit at the back office");
    expect(office.accepted().find((e) => e.type === "hit")).toMatchObject({ kind: "hit", counterpart: "BE" });

    // Ids, kinds, counterparts and times only: no subject line, body, free text or identifier.
    const all = office.received.map((r) => r.body).join("\n");
    expect(all).not.toMatch(/Subject line|MSCU|vessel|Jansen|jansen|Pieter|excise|border check/i);
  });

  it("logs each delivery's attempts, marks it failed after the last, and delivers it again when an operator replays it with liaison webhooks replay", async () => {
    office.answer = (e) => (e.type === "message" ? 500 : 200);
    const res = await api(be, "POST", "/v1/messages", request(["NL"], "will fail"));
    const id = res.body.id as string;
    const failed = async () => ((await api(nl, "GET", "/v1/webhooks/deliveries?state=failed")).body as unknown as DeliveriesOut).items.find((d) => d.event.messageId === id);
    await until(async () => (await failed()) !== undefined, "the delivery to fail four times");
    const d = (await failed()) as DeliveryOut;
    expect(d.attempts).toBe(4);
    expect(d.lastAttempts.map((a) => a.status)).toEqual([500, 500, 500, 500]);
    expect(d.nextAttemptAt).toBeUndefined();
    const gaps = d.lastAttempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(d.lastAttempts[i]?.at ?? ""));
    // 150 ms doubling to at most 600, each between half and all of it: the waits grow.
    expect(gaps[0]).toBeGreaterThanOrEqual(70);
    expect(gaps[1]).toBeGreaterThanOrEqual(145);
    expect(office.received.filter((r) => r.event.messageId === id).length).toBe(4);

    // The operator reads the log and replays it with the CLI.
    await nl.app.listen({ host: "127.0.0.1", port: 0 });
    const env = { ...process.env, LIAISON_URL: `http://127.0.0.1:${(nl.app.server.address() as AddressInfo).port}`, LIAISON_TOKEN: nl.token };
    const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "webhooks", ...args], { cwd: ROOT, env });
    const listed = (await cli("deliveries", "--state", "failed")).stdout;
    expect(listed).toMatch(new RegExp(`^${d.id} +failed +message +request +\\S+ +4 +500 *$`, "m"));
    office.answer = () => 200;
    const replayed = JSON.parse((await cli("replay", d.id, "--json")).stdout) as DeliveryOut;
    expect(replayed).toMatchObject({ id: d.id, state: "pending", attempts: 0, replays: 1 });
    await until(() => office.accepted().some((e) => e.messageId === id), "the replayed delivery");
    const delivered = ((await api(nl, "GET", "/v1/webhooks/deliveries?state=delivered")).body as unknown as DeliveriesOut).items.find((x) => x.id === d.id);
    expect(delivered?.lastAttempts.map((a) => a.status)).toEqual([500, 500, 500, 500, 200]);
    expect((await api(nl, "POST", "/v1/webhooks/deliveries/99999999/replay")).status).toBe(404);
    const events = await hub.auditEvents();
    expect(events.some((e) => e.authority === "NL" && e.action === pb.AuditAction.AUDIT_ACTION_SUBMIT && e.objectType === "webhook-delivery" && e.objectId === d.id)).toBe(true);
    expect(events.some((e) => e.authority === "NL" && e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "webhook-deliveries")).toBe(true);
  });

  it("loses no event when the access point stops mid-retry: started again, it delivers it", async () => {
    let first = true;
    office.answer = (e) => {
      if (e.type !== "message") return 200;
      if (first) {
        first = false;
        return 503;
      }
      return "hang"; // the next attempt gets no answer before the stop
    };
    const res = await api(be, "POST", "/v1/messages", request(["NL"], "survives a restart"));
    const id = res.body.id as string;
    await until(() => office.received.some((r) => r.event.messageId === id && r.status === 503), "a first failed attempt");
    await nl.stop();
    office.answer = () => 200;
    nl = await hub.startAp("NL", { settings });
    await until(() => office.accepted().some((e) => e.messageId === id), "the delivery after the start");
    const d = ((await api(nl, "GET", "/v1/webhooks/deliveries")).body as unknown as DeliveriesOut).items.find((x) => x.event.messageId === id);
    expect(d?.state).toBe("delivered");
    expect(d?.lastAttempts.map((a) => a.status)).toEqual([503, 200]);
  });

  it("tells the back office of what reached the inbox while the access point was down, and not again of what it had heard", async () => {
    const before = office.received.length;
    await nl.stop();
    const ids = await Promise.all(["while down 1", "while down 2"].map(async (b) => (await api(be, "POST", "/v1/messages", request(["NL"], b))).body.id as string));
    nl = await hub.startAp("NL", { settings });
    await until(() => ids.every((id) => office.accepted().some((e) => e.type === "message" && e.messageId === id)), "the messages that waited in the inbox");
    // The store's replay at start is not news: nothing heard before comes again.
    const again = office.received.slice(before).filter((r) => !ids.includes(r.event.messageId ?? ""));
    expect(again.filter((r) => office.received.slice(0, before).some((o) => o.event.id === r.event.id))).toEqual([]);
    expect(again.filter((r) => r.event.type === "receipt")).toEqual([]);
  });

  it("delivers after a start an event that was stored but whose only attempt a stop cut short", async () => {
    office.answer = (e) => (e.type === "message" ? "hang" : 200);
    const res = await api(be, "POST", "/v1/messages", request(["NL"], "cut short"));
    const id = res.body.id as string;
    await until(() => nl.mailbox.has(id), "delivery at NL");
    // The attempt is under way (no answer comes): nothing is logged of it yet.
    await until(async () => ((await api(nl, "GET", "/v1/webhooks/deliveries?state=pending")).body as unknown as DeliveriesOut).items.some((d) => d.event.messageId === id), "the pending delivery");
    await new Promise((r) => setTimeout(r, 200));
    await nl.stop();
    office.answer = () => 200;
    nl = await hub.startAp("NL", { settings });
    await until(() => office.accepted().some((e) => e.messageId === id), "the delivery after the start");
    const d = ((await api(nl, "GET", "/v1/webhooks/deliveries")).body as unknown as DeliveriesOut).items.find((x) => x.event.messageId === id);
    expect(d?.state).toBe("delivered");
    expect(d?.lastAttempts.map((a) => a.status)).toEqual([200]);
  });

  it("streams the events as Server-Sent Events, resumes after Last-Event-ID, and logs the stream's read", async () => {
    const url = await nl.app.listen({ host: "127.0.0.1", port: 0 });
    const auth = { authorization: `Bearer ${nl.token}` };
    const ac = new AbortController();
    const live = await fetch(`${url}/v1/events`, { headers: auth, signal: ac.signal });
    expect(live.status).toBe(200);
    expect(live.headers.get("content-type")).toBe("text/event-stream");
    const a = (await api(be, "POST", "/v1/messages", request(["NL"], "streamed one"))).body.id as string;
    const b = (await api(be, "POST", "/v1/messages", request(["NL"], "streamed two"))).body.id as string;
    const { events, raw } = await readEvents(live, (es) => [a, b].every((id) => es.some((e) => e.type === "message" && e.messageId === id)));
    ac.abort();
    expect(raw.startsWith(": liaison events\n\n")).toBe(true);
    expect(raw).not.toMatch(/streamed/);
    const ea = events.find((e) => e.messageId === a) as PushEventOut;
    const eb = events.find((e) => e.messageId === b) as PushEventOut;
    expect(Number(eb.id)).toBeGreaterThan(Number(ea.id));

    // Resumed after the first: the second comes from the log, and nothing at or before the first.
    const ac2 = new AbortController();
    const resumed = await fetch(`${url}/v1/events?types=message`, { headers: { ...auth, "last-event-id": String(Number(ea.id)) }, signal: ac2.signal });
    const again = await readEvents(resumed, (es) => es.some((e) => e.messageId === b));
    ac2.abort();
    expect(again.events.every((e) => Number(e.id) > Number(ea.id) && e.type === "message")).toBe(true);
    expect(again.events.find((e) => e.messageId === b)).toEqual(eb);

    // A stop ends the open streams instead of waiting for their clients (which would hold it for ever).
    const open = await fetch(`${url}/v1/events`, { headers: auth });
    const reader = open.body?.getReader();
    await reader?.read();
    const stopped = nl.stop();
    const ended = (async () => {
      while (!((await reader?.read())?.done ?? true));
      return "ended";
    })();
    expect(await Promise.race([ended, new Promise((r) => setTimeout(() => r("still open"), 2_000))])).toBe("ended");
    await stopped;
    nl = await hub.startAp("NL", { settings });
    const url2 = await nl.app.listen({ host: "127.0.0.1", port: 0 });

    expect((await fetch(`${url2}/v1/events`)).status).toBe(401);
    expect((await fetch(`${url2}/v1/events?types=content`, { headers: { authorization: `Bearer ${nl.token}` } })).status).toBe(400);
    await until(async () => (await hub.auditEvents()).some((e) => e.authority === "NL" && e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "events" && e.details?.lastEventId === ea.id), "the stream's read event");
  });

  it("documents each event's fields in the OpenAPI document", async () => {
    const doc = (await nl.app.inject({ method: "GET", url: "/docs/json" })).json() as { components: { schemas: Record<string, { properties: Record<string, unknown> }> }; paths: Record<string, Record<string, { description?: string }>> };
    expect(Object.keys(doc.components.schemas.PushEvent?.properties ?? {})).toEqual(expect.arrayContaining(["id", "type", "at", "kind", "counterpart", "messageId", "priority", "noticeId"]));
    expect(doc.paths["/v1/events"]?.get?.description).toMatch(/event: <type>.*PushEvent/);
    expect(doc.paths["/v1/webhooks/deliveries"]).toBeDefined();
    expect(doc.paths["/v1/webhooks/deliveries/{id}/replay"]).toBeDefined();
  });
});
