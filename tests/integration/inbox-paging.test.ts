// Cursor paging over an inbox (GET /v1/messages, newest first) while messages keep arriving: the
// inbox lists in arrival order, so a message that arrives late (after a page was served, or held
// back to keep order after a node's loss, src/nats/in-order.ts) lands above every cursor already
// handed out, never below one: a client paging down misses nothing, and finds the late one at the top.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

async function send(ap: TestAccessPoint, caseRef: string, body: string): Promise<string> {
  const res = await ap.app.inject({
    method: "POST",
    url: "/v1/messages",
    headers: { authorization: `Bearer ${ap.token}` },
    payload: { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: `Subject ${body}`, body, caseRef },
  });
  expect(res.statusCode).toBe(202);
  return (res.json() as { id: string }).id;
}

async function page(ap: TestAccessPoint, caseRef: string, cursor?: string): Promise<{ ids: string[]; next?: string }> {
  const q = new URLSearchParams({ box: "inbox", caseRef, limit: "10", ...(cursor ? { cursor } : {}) });
  const res = await ap.app.inject({ method: "GET", url: `/v1/messages?${q}`, headers: { authorization: `Bearer ${ap.token}` } });
  expect(res.statusCode).toBe(200);
  const body = res.json() as { items: Array<{ id: string }>; nextCursor?: string };
  return { ids: body.items.map((i) => i.id), ...(body.nextCursor ? { next: body.nextCursor } : {}) };
}

describe("paging an inbox while messages arrive", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("misses no message when one arrives late, between two pages, and shows the late one at the top", async () => {
    const caseRef = `LATE-${Date.now()}`;
    const first: string[] = [];
    for (let i = 0; i < 25; i++) first.push(await send(be, caseRef, `early ${i}`));
    await until(() => first.every((id) => nl.mailbox.has(id)), "the first 25 at NL");

    const seen: string[] = [];
    let p = await page(nl, caseRef);
    seen.push(...p.ids);
    // Arrives after the first page was served.
    const late = await send(be, caseRef, "late");
    await until(() => nl.mailbox.has(late), "the late one at NL");
    while (p.next) {
      p = await page(nl, caseRef, p.next);
      seen.push(...p.ids);
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(first));
    // Newest first, in arrival order: the late one heads a fresh listing.
    const top = await page(nl, caseRef);
    expect(top.ids[0]).toBe(late);
    expect(top.ids.slice(1)).toEqual(seen.slice(0, 9));
  });
});
