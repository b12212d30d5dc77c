// One process of the exchange benchmark: a raw JetStream publisher or consumer (the baseline), or
// a part of Liaison's own pipeline (the sending access point, the exchange, the receiving access
// point). The orchestrator (bench.ts) drives it over IPC.
import { readRegistryTrust } from "../../src/registry/mod.js";
import { jetstream } from "@nats-io/jetstream";
import { readKeyFile } from "../../src/crypto/mod.js";
import { UserStore } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, cpInboxPrefix } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startAccessPoint } from "../../services/access-point/service.js";
import { startExchange } from "../../services/exchange/service.js";

const [role, url, home] = process.argv.slice(2) as [string, string, string];
const log = createLogger(`bench-${role}`, "warn");
const now = () => performance.timeOrigin + performance.now();
const send = (m: unknown) => process.send?.(m);
const body1k = (i: number) => `${i}:`.padEnd(1024, "x");

type Cmd =
  | { cmd: "publish"; n: number; window: number }
  | { cmd: "consume"; n: number }
  | { cmd: "paced"; n: number; rate: number }
  | { cmd: "burst"; n: number; window: number }
  | { cmd: "expect"; n: number }
  | { cmd: "steady"; rate: number; seconds: number }
  | { cmd: "cpu" }
  | { cmd: "report" }
  | { cmd: "stop" };

async function onCommands(handler: (c: Cmd) => Promise<void>): Promise<void> {
  process.on("message", (c: Cmd) => {
    if (c.cmd === "stop") process.exit(0);
    if (c.cmd === "cpu") {
      const u = process.cpuUsage();
      send({ cpuMs: (u.user + u.system) / 1000 });
      return;
    }
    handler(c).catch((err: unknown) => {
      send({ error: String((err as Error)?.stack ?? err) });
    });
  });
  send({ ready: true });
}

/** Sends n items at a steady rate, each started on its schedule (open loop, so latency is honest). */
async function paced(n: number, rate: number, one: (i: number) => Promise<void>): Promise<void> {
  const start = now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(one(i));
  }
  await Promise.all(inflight);
}

async function windowed(n: number, window: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

if (role === "raw-pub") {
  const nc = await connectNats({ url, name: "bench-raw-pub", credsFile: `${home}/secrets/nkeys/stack-admin.nk` });
  const js = jetstream(nc);
  await onCommands(async (c) => {
    const payload = new TextEncoder().encode(body1k(0));
    if (c.cmd === "publish") {
      const t0 = now();
      await windowed(c.n, c.window, async (i) => {
        await js.publish("bench.raw.x", payload, { msgID: `raw-${t0}-${i}` });
      });
      send({ published: c.n, t0, t1: now() });
    } else if (c.cmd === "paced") {
      const sentAt: number[] = [];
      await paced(c.n, c.rate, async (i) => {
        const data = new TextEncoder().encode(`${now()}`.padEnd(1024, " "));
        sentAt[i] = now();
        await js.publish("bench.raw.x", data);
      });
      send({ paced: c.n });
    }
  });
} else if (role === "raw-sub") {
  const nc = await connectNats({ url, name: "bench-raw-sub", credsFile: `${home}/secrets/nkeys/stack-admin.nk` });
  const js = jetstream(nc);
  const consumer = await js.consumers.get("BENCH_RAW", "bench");
  let got = 0;
  let target = Number.POSITIVE_INFINITY;
  let latencies: number[] = [];
  await consumer.consume({
    max_messages: 1000,
    callback: (m) => {
      const t = now();
      m.ack();
      got++;
      const sentAt = Number(m.string().trim());
      if (Number.isFinite(sentAt) && sentAt > 1e12) latencies.push(t - sentAt);
      if (got === target) send({ consumed: got, at: t, latencies });
    },
  });
  await onCommands(async (c) => {
    if (c.cmd === "expect") {
      got = 0;
      latencies = [];
      target = c.n;
    }
  });
} else if (role === "exchange") {
  const nc = await connectNats({ url, name: "bench-exchange", credsFile: `${home}/secrets/nkeys/exchange.nk` });
  await startExchange(nc, { replayWindow: 5 * 60_000, clockSkew: 60_000, maxEnvelopeBytes: 4 * 1024 * 1024, registryTrust: readRegistryTrust(`${home}/secrets/registry-key.pub`) }, readKeyFile(`${home}/secrets/hub-keys.json`), log);
  await onCommands(async () => undefined);
} else if (role === "sender" || role === "receiver") {
  const cp = role === "sender" ? "BE" : "NL";
  const nc = await connectNats({ url, name: `bench-${cp}`, credsFile: `${home}/secrets/nkeys/ap-${cp}.nk`, inboxPrefix: cpInboxPrefix(cp) });
  const ap = await startAccessPoint(
    nc,
    { cp, host: "127.0.0.1", port: 0, bodyLimit: 6 * 1024 * 1024, maxAttachmentBytes: 4 * 1024 * 1024, registryTrust: readRegistryTrust(`${home}/secrets/registry-key.pub`), replicas: Number(process.env.BENCH_REPLICAS ?? 1) },
    readKeyFile(`${home}/ap/${cp}/keys.json`),
    UserStore.load(`${home}/ap/${cp}/users.json`),
    log,
    { listen: false },
  );
  if (role === "receiver") {
    let got = 0;
    let target = Number.POSITIVE_INFINITY;
    let delivered = new Map<string, number>();
    let duplicates = 0;
    ap.mailbox.on("delivered", (e) => {
      if (delivered.has(e.id)) duplicates++;
      delivered.set(e.id, now());
      if (++got === target) send({ delivered: got, at: now(), times: Object.fromEntries(delivered) });
    });
    await onCommands(async (c) => {
      if (c.cmd === "expect") {
        got = 0;
        duplicates = 0;
        delivered = new Map();
        target = c.n;
      } else if (c.cmd === "report") {
        send({ report: true, times: Object.fromEntries(delivered), duplicates, stored: ap.mailbox.entries().filter((e) => e.box === "inbox").length });
      }
    });
  } else {
    const message = (i: number) => ({
      kind: pb.MessageKind.MESSAGE_KIND_SPONTANEOUS,
      to: ["NL"],
      payload: { subject: `bench ${i}`, body: body1k(i), spontaneous: { basis: pb.SpontaneousBasis.SPONTANEOUS_BASIS_INFORMATION } },
      priority: pb.Priority.PRIORITY_NORMAL,
      handlingCodes: [],
      caseRef: "BENCH",
    });
    await onCommands(async (c) => {
      const sentAt: Record<string, number> = {};
      if (c.cmd === "burst") {
        const t0 = now();
        await windowed(c.n, c.window, async (i) => {
          const started = now();
          const e = await ap.mailbox.send(message(i));
          sentAt[e.id] = started;
        });
        send({ sent: c.n, t0, t1: now(), sentAt });
      } else if (c.cmd === "paced") {
        const sendMs: number[] = [];
        await paced(c.n, c.rate, async (i) => {
          const started = now();
          const e = await ap.mailbox.send(message(i));
          sentAt[e.id] = started;
          sendMs.push(now() - started);
        });
        sendMs.sort((a, b) => a - b);
        send({ sent: c.n, sentAt, sendP50: sendMs[Math.floor(sendMs.length / 2)], sendP99: sendMs[Math.floor(sendMs.length * 0.99)] });
      } else if (c.cmd === "steady") {
        // Open loop at `rate` for `seconds` (bench/cluster kills a node meanwhile): when each send
        // started and was answered, and whether it was accepted or refused (and why).
        const outcomes: Array<{ started: number; done: number; id?: string; code?: string }> = [];
        await paced(c.rate * c.seconds, c.rate, async (i) => {
          const started = now();
          try {
            const e = await ap.mailbox.send(message(i));
            outcomes.push({ started, done: now(), id: e.id });
          } catch (err) {
            outcomes.push({ started, done: now(), code: String((err as { code?: string }).code ?? (err as Error).message) });
          }
        });
        send({ steady: outcomes.length, outcomes });
      }
    });
  }
}
