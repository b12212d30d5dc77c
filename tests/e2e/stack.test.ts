import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/nats/mod.js";
import { Svcm } from "@nats-io/services";
import { cli, isAlive, startStackProcess, type StackProcess } from "../support/stack.js";
import { filesUnder, readStoreFile } from "../support/store-files.js";

type ApInfo = { url: string; operatorToken: string };

async function api<T>(ap: ApInfo, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(new URL(path, ap.url), {
    method,
    headers: { authorization: `Bearer ${ap.operatorToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/** Every id in a case's inbox at an access point, paging through the list API. */
async function inboxIds(ap: ApInfo, caseRef: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ box: "inbox", caseRef, limit: "200", ...(cursor ? { cursor } : {}) });
    const page = await api<{ items: Array<{ id: string }>; nextCursor?: string }>(ap, "GET", `/v1/messages?${q}`);
    ids.push(...page.json.items.map((i) => i.id));
    if (!page.json.nextCursor) return ids;
    cursor = page.json.nextCursor;
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // A service being restarted refuses connections for a moment; that is not an answer.
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out: ${what}`);
}

describe("npm start: the whole system on one machine", () => {
  let stack: StackProcess;
  afterAll(() => {
    if (stack?.proc.exitCode === null) stack.signal("SIGKILL");
  });

  it("starts nats-server, the hub services and four access points, and writes stack.json", async () => {
    stack = await startStackProcess();
    const f = stack.file();
    expect(f.ready).toBe(true);
    expect(f.nats.embedded).toBe(true);
    expect(Object.keys(f.accessPoints).sort()).toEqual(["BE", "DE", "FR", "NL"]);
    for (const ap of Object.values(f.accessPoints)) expect(ap.operatorToken).toMatch(/^lsn_/);
    expect(stack.output()).toContain("Liaison is up");
    expect(stack.output()).toContain(f.accessPoints.BE?.operatorToken);
    expect(statSync(join(stack.home, "stack.json")).mode & 0o777).toBe(0o600);

    // Every hub service answers NATS service discovery.
    const nc = await connectNats({ url: f.nats.url, name: "e2e", credsFile: join(stack.home, "secrets", "nkeys", "stack-admin.nk") });
    const seen = new Set<string>();
    for await (const p of await new Svcm(nc).client().ping()) seen.add(p.name);
    await nc.close();
    for (const s of f.services.filter((s) => !s.name.startsWith("access-point") && s.name !== "console")) expect(seen).toContain(s.name);
    expect(seen).toContain("exchange");

    // stack.json names each access point's NATS URL and credentials: the pinned `nats` CLI works as
    // that member, and sees its own store and push log and nothing of the hub's.
    const be = f.accessPoints.BE;
    expect(be?.natsUrl).toBe(f.nats.url);
    expect(be?.natsCreds && statSync(be.natsCreds).mode & 0o777).toBe(0o600);
    expect(f.nats.cli).toBeDefined();
    const asBe = spawnSync(f.nats.cli ?? "nats", ["--server", be?.natsUrl ?? "", "--nkey", be?.natsCreds ?? "", "stream", "ls", "--names"], { encoding: "utf8" });
    expect(asBe.stdout.trim().split("\n")).toEqual(["AP_BE", "AP_BE_PUSH"]);
    const hubServices = spawnSync(f.nats.cli ?? "nats", ["--server", f.nats.url, "--nkey", f.nats.adminCreds ?? "", "micro", "ls", "--json"], { encoding: "utf8" });
    const listed = new Set((JSON.parse(hubServices.stdout) as Array<{ name: string }>).map((x) => x.name));
    for (const name of ["audit", "exchange", "records", "files", "retention", "usage", "operations", "console"]) expect(listed).toContain(name);
  });

  it("sends with the CLI, reads at the recipient, and keeps no plaintext at rest anywhere", async () => {
    const marker = `MARKER-${Math.random().toString(36).slice(2)}-PLAINTEXT`;
    const sent = cli(stack.home, ["send", "--ap", "BE", "--to", "NL", "--subject", `About ${marker}`, "--body", `Body with ${marker}`, "--handling", "H2"]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const id = sent.stdout.split(" ")[0] ?? "";
    const nl = stack.file().accessPoints.NL as ApInfo;
    await until(async () => (await api<{ items: Array<{ id: string }> }>(nl, "GET", "/v1/messages?box=inbox")).json.items.some((i) => i.id === id), "NL to receive it");
    const read = cli(stack.home, ["read", id, "--ap", "NL"]);
    expect(read.code).toBe(0);
    expect(read.stdout).toContain(`Body with ${marker}`);
    expect(read.stdout).toContain("HANDLING H2");

    const files = filesUnder(stack.home);
    expect(files.some((f) => f.includes("jetstream"))).toBe(true);
    const holding = files.filter((f) => readStoreFile(f).includes(marker));
    expect(holding).toEqual([]);
  });

  it("loses nothing and duplicates nothing when the exchange and the recipient are killed with 1,000 messages in flight", async () => {
    const f = stack.file();
    const be = f.accessPoints.BE as ApInfo;
    const nl = f.accessPoints.NL as ApInfo;
    const caseRef = `KILL-${Date.now()}`;
    const exchangePid = f.services.find((s) => s.name === "exchange")?.pid;
    const nlPid = f.accessPoints.NL?.pid;
    expect(isAlive(exchangePid) && isAlive(nlPid)).toBe(true);

    let sent = 0;
    let killed = false;
    const worker = async () => {
      while (sent < 1000) {
        const n = sent++;
        const r = await api<{ id: string }>(be, "POST", "/v1/messages", { kind: "spontaneous", to: ["NL"], subject: `m${n}`, body: `message ${n}`, caseRef });
        expect(r.status).toBe(202);
        if (n === 300 && !killed) {
          killed = true;
          process.kill(exchangePid as number, "SIGKILL");
          process.kill(nlPid as number, "SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(killed).toBe(true);
    // The stack restarts both; the recipient ends up with each message exactly once.
    await until(async () => (await inboxIds(nl, caseRef)).length >= 1000, "NL to hold all 1,000", 120_000);
    const ids = await inboxIds(nl, caseRef);
    expect(ids.length).toBe(1000);
    expect(new Set(ids).size).toBe(1000);
    const now = stack.file();
    expect(now.services.find((s) => s.name === "exchange")?.pid).not.toBe(exchangePid);
    expect(now.accessPoints.NL?.pid).not.toBe(nlPid);
  }, 240_000);

  it("stops every process on Ctrl-C, and a second start reuses the data", async () => {
    const f = stack.file();
    const pids = [f.nats.pid, ...f.services.map((s) => s.pid)].filter((p): p is number => !!p);
    expect(pids.length).toBeGreaterThan(5);
    stack.signal("SIGINT");
    expect(await stack.exited).toBe(0);
    await until(() => pids.every((p) => !isAlive(p)), "every child to exit", 20_000);
    expect(stack.file().ready).toBe(false);
    expect(stack.file().accessPoints.NL?.operatorToken).toBe("");

    const again = await startStackProcess({ home: stack.home, ports: stack.ports });
    try {
      const nl = again.file().accessPoints.NL as ApInfo;
      const all = await api<{ items: unknown[] }>(nl, "GET", "/v1/messages?box=inbox&limit=5");
      expect(all.json.items.length).toBe(5);
      // Each start issues new tokens (printed once; the users files keep only their hashes): the
      // last start's token is refused now, and the stopped stack's file no longer held it.
      expect(again.file().accessPoints.NL?.operatorToken).toMatch(/^lsn_/);
      expect(again.file().accessPoints.NL?.operatorToken).not.toBe(f.accessPoints.NL?.operatorToken);
      expect((await api({ url: nl.url, operatorToken: f.accessPoints.NL?.operatorToken ?? "" }, "GET", "/v1/messages?box=inbox&limit=1")).status).toBe(401);
    } finally {
      again.signal("SIGINT");
      expect(await again.exited).toBe(0);
    }
  }, 120_000);

  it("says clearly which port is taken instead of printing a stack trace", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(stack.ports.firstAp + 1, "127.0.0.1", () => r()));
    try {
      const s = await startStackProcess({ home: stack.home, ports: stack.ports, waitReady: false });
      expect(await s.exited).toBe(1);
      expect(s.output()).toContain("LIAISON_PORT_IN_USE");
      expect(s.output()).toContain(String(stack.ports.firstAp + 1));
      expect(s.output()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
