// The HTTP plumbing every Liaison API is built on (src/http): a data route without an audit action
// stops the app at start; fastify's own refusals (a request during shutdown, a request Node's
// parser rejects) carry registered codes; JSON nesting is measured without parsing.
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { recordOut } from "../../src/api/mod.js";
import { ERRORS } from "../../src/errors.js";
import { AUDIT_EXEMPT_ROUTES, createHttpApp, jsonDeeperThan, problemResponses, type LiaisonApp } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { pb } from "../../src/proto/mod.js";

const log = createLogger("test", "silent");
const build = () => createHttpApp({ title: "t", description: "d", log });

describe("HTTP app plumbing", () => {
  let app: LiaisonApp | undefined;
  afterEach(async () => {
    await app?.close().catch(() => undefined);
    app = undefined;
  });

  it("refuses to build an app with a data route that declares no audit action", async () => {
    app = await build();
    const a = app;
    const registering = (async () => {
      a.get("/v1/things/:id", { config: { roles: ["operator"] } }, async () => ({ secret: true }));
      await a.ready();
    })();
    await expect(registering).rejects.toThrow(/GET \/v1\/things\/:id declares no audit action/);
  });

  it("refuses a write route with no audit action even at an exempt path", async () => {
    app = await build();
    const a = app;
    const registering = (async () => {
      a.post("/healthz", async () => ({ ok: true }));
      await a.ready();
    })();
    await expect(registering).rejects.toThrow(/declares no audit action/);
  });

  it("refuses routes that declare audit actions when no audit hook logs them", async () => {
    app = await build();
    app.get("/v1/things", { config: { audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "thing" } } }, async () => ({ secret: true }));
    await expect(app.ready()).rejects.toThrow(/installAuditHook was not called/);
  });

  it("lets the exempt routes through, each with its reason", async () => {
    app = await build();
    app.get("/healthz", async () => ({ status: "ok" }));
    await app.ready();
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/docs/json" })).statusCode).toBe(200);
    for (const e of AUDIT_EXEMPT_ROUTES) expect(e.why.length).toBeGreaterThan(20);
  });

  it("answers a request that arrives while the server closes with a problem carrying LIAISON_SHUTTING_DOWN", async () => {
    app = await build();
    app.get("/healthz", async () => ({ status: "ok" }));
    let during: { status: number; type: string | null; body: Record<string, unknown> } | undefined;
    // Runs once fastify is closing, before it stops listening: a request now is one "during close".
    app.addHook("preClose", async () => {
      const res = await fetch(`${url}/healthz`);
      during = { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Record<string, unknown> };
    });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await app.close();
    app = undefined;
    expect(during?.status).toBe(503);
    expect(during?.type).toMatch(/^application\/problem\+json/);
    expect(during?.body).toMatchObject({ status: 503, code: "LIAISON_SHUTTING_DOWN" });
  });

  it("answers a request Node's HTTP parser rejects with a problem carrying a registered code", async () => {
    app = await build();
    app.get("/healthz", async () => ({ status: "ok" }));
    const url = new URL(await app.listen({ host: "127.0.0.1", port: 0 }));
    const raw = async (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => socket.end(request));
        let out = "";
        socket.on("data", (d) => (out += d.toString()));
        socket.on("close", () => resolve(out));
        socket.on("error", reject);
      });
    const bad = await raw("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(bad.slice(bad.indexOf("\r\n\r\n") + 4))).toMatchObject({ status: 400, code: "LIAISON_BAD_REQUEST" });
    const huge = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    const problem = JSON.parse(huge.slice(huge.indexOf("\r\n\r\n") + 4)) as { code: keyof typeof ERRORS };
    expect(problem.code).toBe("LIAISON_HEADERS_TOO_LARGE");
    expect(ERRORS[problem.code].status).toBe(431);
  });

  it("measures JSON nesting on the raw text, skipping strings and their escapes", () => {
    expect(jsonDeeperThan("[[[]]]", 3)).toBe(false);
    expect(jsonDeeperThan("[[[[]]]]", 3)).toBe(true);
    expect(jsonDeeperThan('{"a":{"b":{"c":1}}}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":{"b":{"c":{}}}}', 3)).toBe(true);
    expect(jsonDeeperThan('["[[[[[[", "\\"[[[[[[", {"k]]]]": "{{{{"}]', 2)).toBe(false);
    const started = performance.now();
    expect(jsonDeeperThan("[".repeat(1_000_000), 32)).toBe(true);
    expect(jsonDeeperThan(`"${"[".repeat(1_000_000)}"`, 32)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("puts every schema its OpenAPI document references into components, so no $ref dangles", async () => {
    app = await build();
    // An audit-exempt path, so the route needs no audit hook: only its schemas matter here.
    app.get("/healthz", { schema: { response: { 200: recordOut, ...problemResponses("LIAISON_NOT_FOUND", "LIAISON_ERASED") } } }, async () => ({}) as never);
    await app.ready();
    const doc = (await app.inject({ url: "/docs/json" })).json() as { paths: Record<string, unknown>; components: { schemas?: Record<string, unknown> } };
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(expect.arrayContaining(["CisRecord", "Problem"]));
    for (const r of refs) expect(doc.components.schemas, r).toHaveProperty([r ?? ""]);
    const responses = (doc.paths["/healthz"] as { get: { responses: Record<string, unknown> } }).get.responses;
    expect(Object.keys(responses).sort()).toEqual(["200", "404", "410"]);
  });
});
