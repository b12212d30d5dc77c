// `LIAISON_CLUSTER=3 npm start` (issue #14): the demo stack on a three-node JetStream cluster with
// three replicas of everything; stack.json lists every node; every service and access point is
// connected to all of them and rides the loss of one; `liaison status` shows the nodes, each
// stream's leader and replicas, and reports the lost node's replicas.
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_STACK_LARGE_FILE_STORE_BYTES } from "../../src/config/mod.js";
import { isPortFree } from "../../src/stack/mod.js";
import type { StackFile } from "../../src/stack/mod.js";
import { cli, startStackProcess, type StackPorts, type StackProcess } from "../support/stack.js";

type ApInfo = StackFile["accessPoints"][string];

async function api<T>(ap: ApInfo, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(new URL(path, ap.url), {
    method,
    headers: { authorization: `Bearer ${ap.operatorToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/** Free ports for three NATS nodes, their monitors, the console and two access points. */
async function clusterPorts(): Promise<StackPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = [base, base + 1, base + 2, base + 10, base + 11, base + 12, base + 20, base + 21, base + 22];
    if ((await Promise.all(all.map((p) => isPortFree("127.0.0.1", p)))).every(Boolean)) return { nats: base, monitor: base + 10, console: base + 20, firstAp: base + 21 };
  }
  throw new Error("no free ports");
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("npm start on a three-node cluster", () => {
  let stack: StackProcess | undefined;
  afterAll(async () => {
    stack?.signal("SIGINT");
    await stack?.exited;
  });

  it("runs on three nodes, lists them, and carries messages through the loss of one", async () => {
    stack = await startStackProcess({ ports: await clusterPorts(), env: { LIAISON_CLUSTER: "3", LIAISON_ACCESS_POINTS: "BE,NL" } });
    const f = stack.file();
    expect(f.nats.nodes).toHaveLength(3);
    expect(f.nats.url.split(",")).toHaveLength(3);
    expect(stack.output()).toContain("3-node cluster");
    const be = f.accessPoints.BE as ApInfo;
    const nl = f.accessPoints.NL as ApInfo;

    const status = cli(stack.home, ["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as { cluster: { nodes: Array<{ name: string }> }; streams: Array<{ name: string; replicas: number; leader: string; peers: Array<{ state: string }> }> };
    expect(s.cluster.nodes.map((n) => n.name).sort()).toEqual((f.nats.nodes ?? []).map((n) => n.name).sort());
    expect(s.streams.every((x) => x.replicas === 3 && x.leader !== "" && x.peers.every((p) => p.state === "current"))).toBe(true);

    // Provisioning again with the operator's command changes nothing; more replicas than nodes is refused.
    // (With the stack's own size of the large-file stores, which `liaison provision` takes from the environment.)
    const again = cli(stack.home, ["provision", "--replicas", "3", "--cp", "BE,NL", "--json"], { LIAISON_LARGE_FILE_STORE_BYTES: String(DEFAULT_STACK_LARGE_FILE_STORE_BYTES) });
    expect(again.code, again.stderr).toBe(0);
    const entries = JSON.parse(again.stdout) as Array<{ name: string; action: string }>;
    expect(entries.length).toBeGreaterThan(10);
    expect(entries.filter((e) => e.action !== "unchanged")).toEqual([]);
    const five = cli(stack.home, ["provision", "--replicas", "5"]);
    expect(five.code).toBe(1);
    expect(five.stderr).toMatch(/cluster has 3 servers.*cannot have more replicas than there are servers/);

    const send = async (body: string) => {
      const r = await api<{ id: string }>(be, "POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "cluster", body });
      expect(r.status).toBe(202);
      return r.json.id;
    };
    const before = await send("before the loss");
    await until(async () => (await api<unknown>(nl, "GET", `/v1/messages/${before}`)).status === 200, "NL to have the first message");

    // The node that leads INBOX dies.
    const inboxLeader = s.streams.find((x) => x.name === "INBOX")?.leader;
    const victim = f.nats.nodes?.find((n) => n.name === inboxLeader);
    expect(victim?.pid).toBeDefined();
    process.kill(victim?.pid as number, "SIGKILL");

    const after: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      // A send during the election may be refused: 503 (kept, and resubmitted by the access point) or
      // 504 (its own store had no leader yet: not kept, the user sends again). Accepted ones are never lost.
      const r = await api<{ id?: string; code?: string }>(be, "POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "cluster", body: `after the loss ${i}` });
      expect([202, 503, 504]).toContain(r.status);
      if (r.json.id) after.push(r.json.id);
    }
    await until(async () => {
      for (const id of after) if ((await api<unknown>(nl, "GET", `/v1/messages/${id}`)).status !== 200) return false;
      return after.length > 0;
    }, "NL to have what BE sent after the node died", 60_000);
    process.stdout.write(`messages flowed again ${Date.now() - t0} ms after the INBOX leader was killed\n`);

    // `liaison status` names the lost node's replicas and fails.
    let last = "";
    await until(async () => {
      const st = cli(stack?.home as string, ["status"]);
      last = `${st.code}\n${st.stdout}\n${st.stderr}`;
      return st.code === 1 && st.stdout.includes(`replica on ${victim?.name} is offline`);
    }, "status to report the offline replicas", 30_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; last status:\n${last}`);
    });
  });
});
