// The outside tester's probes, as a library: with nothing but one member's own NATS credentials,
// try every way of making the server or a hub service write into the hub's streams — plain
// publishes, JetStream publishes, JetStream API calls on the member's own store whose reply subject
// names a hub subject, consumer deliveries aimed at a hub subject, and requests through every
// import the member has (hub micro services, the hub's JetStream API for its inbox, submissions,
// audit events) with a reply subject it chose. Targets come from the streams the hub has, so a
// stream added later is probed too.
import { AckPolicy, DeliverPolicy, jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/nats-core";
import { largeFileStore, memberImports, PRIORITY_TOKENS, subjects } from "../../src/nats/mod.js";

export interface ProbeTarget {
  readonly stream: string;
  /** A concrete subject the hub stream stores (wildcards filled with another member's tokens). */
  readonly subject: string;
}

export interface ProbeReport {
  readonly targets: readonly ProbeTarget[];
  /** How many probe messages were sent. */
  readonly attempts: number;
  /** Messages that appeared in hub streams on a subject the member may not write, with where they came from. */
  readonly landed: ReadonlyArray<{ stream: string; subject: string; seq: number; data: string }>;
}

/** Every stream in the hub's account, and one concrete subject each captures, aimed at `other`. */
export async function hubTargets(admin: NatsConnection, other: string): Promise<{ targets: ProbeTarget[]; streams: StreamInfo[] }> {
  const jsm = await jetstreamManager(admin);
  const streams: StreamInfo[] = [];
  for await (const si of jsm.streams.list()) streams.push(si);
  const targets: ProbeTarget[] = [];
  for (const si of streams) {
    for (const s of si.config.subjects ?? []) {
      targets.push({ stream: si.config.name, subject: s.replaceAll("*", other).replace(/>$/, `${other}.normal`) });
    }
  }
  return { targets, streams };
}

/**
 * Subjects on which something may legitimately appear in the hub while the member probes: its own
 * submissions and audit events (it may write those), and what the hub does about them (its
 * receipts into the member's own inbox, the hub services' own audit events), and the sealed chunks
 * and object records it may write, by design, into another member's large-file store (never read:
 * docs/large-files.md).
 */
function legitimate(cp: string, other: string): (subject: string) => boolean {
  const othersFiles = `$O.${largeFileStore(other).bucket}.`;
  const own = new Set([...PRIORITY_TOKENS.map((p) => subjects.submit(cp, p)), subjects.auditEvents(cp), ...PRIORITY_TOKENS.map((p) => subjects.inbox(cp, p))]);
  const ownStore = subjects.apStoreOf(cp).slice(0, -1);
  const hubAudit = `${subjects.auditEvents("x").slice(0, -1)}`;
  const hubServices = new Set(["exchange", "audit", "records", "files", "retention", "usage", "console", "stack"]);
  return (subject) => own.has(subject) || subject.startsWith(othersFiles) || subject.startsWith(ownStore) || (subject.startsWith(hubAudit) && hubServices.has(subject.slice(hubAudit.length)));
}

const enc = new TextEncoder();
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs every probe from `nc` (member `cp`'s connection) and reports what landed in the hub's streams. */
export async function probeHubBoundary(nc: NatsConnection, admin: NatsConnection, cp: string, other: string): Promise<ProbeReport> {
  const { targets, streams } = await hubTargets(admin, other);
  const adminJsm = await jetstreamManager(admin);
  const before = new Map(streams.map((s) => [s.config.name, s.state.last_seq]));
  let attempts = 0;
  const marker = (how: string, t: ProbeTarget) => enc.encode(`probe ${cp} ${how} -> ${t.stream} ${t.subject}`);
  const send = (subject: string, data: Uint8Array, reply?: string, h?: ReturnType<typeof headers>) => {
    attempts++;
    try {
      nc.publish(subject, data, { ...(reply ? { reply } : {}), ...(h ? { headers: h } : {}) });
    } catch {
      // A refused publish (permissions) is a probe that failed, as it should.
    }
  };

  // The member's own store, with something in it to be delivered.
  const ownJsm = await jetstreamManager(nc).catch(() => undefined);
  const store = `AP_${cp}`;
  let durable: string | undefined;
  if (ownJsm) {
    try {
      await ownJsm.streams.info(store);
      await nc.request(subjects.apStore(cp, "sent", "probe"), enc.encode("stored by the probe"), { timeout: 2_000 });
      durable = "probe-pull";
      await ownJsm.consumers.add(store, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    } catch {
      durable = undefined;
    }
  }

  // Imports that answer: service requests, the hub's JetStream API for the member's own inbox consumers.
  const imports = memberImports(cp, [other]).filter((i) => i.kind === "service");
  const inboxDurable = `inbox-${cp}-normal`;

  for (const t of targets) {
    const h = headers();
    h.set("Nats-Msg-Id", `probe.${t.stream}.${t.subject}`);
    // 1. Plain publishes and JetStream publishes straight at the hub subject.
    send(t.subject, marker("publish", t));
    send(t.subject, marker("js-publish", t), `_INBOX_${cp}.probe`, h);
    // 2. The member's own JetStream API, answering on the hub subject.
    send(`$JS.API.STREAM.INFO.${store}`, new Uint8Array(), t.subject);
    send(`$JS.API.DIRECT.GET.${store}`, enc.encode(JSON.stringify({ seq: 1 })), t.subject);
    send(`$JS.API.STREAM.MSG.GET.${store}`, enc.encode(JSON.stringify({ seq: 1 })), t.subject);
    if (durable) send(`$JS.API.CONSUMER.MSG.NEXT.${store}.${durable}`, enc.encode(JSON.stringify({ batch: 1, expires: 500_000_000 })), t.subject);
    // 3. A consumer whose deliveries go to the hub subject.
    if (ownJsm) {
      await ownJsm.consumers
        .add(store, { deliver_subject: t.subject, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, inactive_threshold: 2_000_000_000 })
        .then(() => attempts++)
        .catch(() => undefined);
    }
    // 4. Every import, answering on the hub subject.
    for (const i of imports) {
      const local = i.to ?? i.subject;
      const subject = local.endsWith(".>") ? `${local.slice(0, -2)}.probe` : local;
      const body = subject.includes("MSG.NEXT") ? enc.encode(JSON.stringify({ batch: 1, expires: 500_000_000 })) : marker(`import ${local}`, t);
      send(subject, body, t.subject);
    }
    // 5. An ack for its own inbox consumer asking for the next message on the hub subject.
    send(`$JS.ACK.INBOX.${inboxDurable}.1.1.1.1.0`, enc.encode("+NXT"), t.subject);
  }
  await nc.flush().catch(() => undefined);
  await wait(1_500);

  const ok = legitimate(cp, other);
  const landed: Array<{ stream: string; subject: string; seq: number; data: string }> = [];
  for (const s of streams) {
    const name = s.config.name;
    const info = await adminJsm.streams.info(name);
    for (let seq = (before.get(name) ?? 0) + 1; seq <= info.state.last_seq; seq++) {
      const m = await adminJsm.streams.getMessage(name, { seq }).catch(() => null);
      if (!m || ok(m.subject)) continue;
      landed.push({ stream: name, subject: m.subject, seq, data: new TextDecoder().decode(m.data).slice(0, 120) });
    }
  }
  return { targets, attempts, landed };
}
