// Hub copies of messages (ciphertext in INBOX): deleted a configured time (30 days) after they were
// delivered — acknowledged by the recipient's access point. Undelivered copies are dropped after
// 90 days by the stream itself (max_age). Reads INBOX from a checkpoint that never passes an
// undelivered copy, so a late delivery is still deleted on time.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditAction, type AuditEmitter } from "../../src/audit/mod.js";
import { decodeEnvelopeBytes, envelopeBytesOf, sha256 } from "../../src/crypto/mod.js";
import { addPeriod, HUB, type Period } from "../../src/domain/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { inboxConsumer, parseRoutedSubject, STREAMS } from "../../src/nats/mod.js";

const CHECKPOINT = "retention.inbox-checkpoint";
const STREAM = STREAMS.INBOX.name;

export async function sweepDeliveredCopies(o: { nc: NatsConnection; state: KV; audit: AuditEmitter; log: Logger; now: () => number; keep: Period; max?: number }): Promise<number> {
  const jsm = await jetstreamManager(o.nc, { checkAPI: false });
  const info = await jsm.streams.info(STREAM);
  if (info.state.messages === 0) return 0;
  const cp = await o.state.get(CHECKPOINT);
  const from = Math.max(info.state.first_seq, cp && cp.operation === "PUT" ? Number(new TextDecoder().decode(cp.value)) : 0);
  if (from > info.state.last_seq) return 0;
  // A copy may go when it is older than `keep` (it was delivered no earlier than it was stored).
  const cutoff = o.now() - (addPeriod(o.now(), o.keep) - o.now());
  const floors = new Map<string, number>();
  const floor = async (durable: string) => {
    if (!floors.has(durable)) {
      const ci = await jsm.consumers.info(STREAM, durable).catch(() => null);
      floors.set(durable, ci?.ack_floor.stream_seq ?? 0);
    }
    return floors.get(durable) ?? 0;
  };
  const consumer = await jetstream(o.nc).consumers.get(STREAM, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  const iter = await consumer.consume({ max_messages: 1_000 });
  let deleted = 0;
  let firstKept: number | undefined;
  let last = from - 1;
  for await (const m of iter) {
    if (Math.floor(m.info.timestampNanos / 1e6) > cutoff) break; // too young: so is everything after it
    last = m.seq;
    const route = parseRoutedSubject(m.subject);
    const delivered = route !== undefined && m.seq <= (await floor(inboxConsumer(route.cp, route.prio).config.durable_name));
    if (delivered) {
      await jsm.streams.deleteMessage(STREAM, m.seq, false);
      deleted++;
      const env = envelopeBytesOf(m.data);
      let objectId = `inbox-${m.seq}`;
      let sender = HUB;
      try {
        if (env) ({ id: objectId, sender } = decodeEnvelopeBytes(env).header);
      } catch {
        // not an envelope (a receipt or notice): named by its place in INBOX
      }
      const storedAt = Math.floor(m.info.timestampNanos / 1e6);
      void o.audit.emit({
        action: AuditAction.AUDIT_ACTION_ERASE,
        authority: HUB,
        userId: "retention",
        objectType: "hub-message-copy",
        objectId,
        erasure: {
          objectType: "hub-message-copy",
          objectId,
          supplier: sender,
          rule: "message-delivered",
          dueAtMs: addPeriod(storedAt, o.keep),
          erasedAtMs: o.now(),
          contentCommitment: sha256(m.data),
        },
        details: { recipient: route?.cp ?? "", inboxSeq: String(m.seq) },
      });
    } else firstKept ??= m.seq;
    if (m.info.pending === 0 || (o.max !== undefined && deleted >= o.max)) break;
  }
  await iter.close();
  await o.audit.flush();
  await o.state.put(CHECKPOINT, new TextEncoder().encode(String(firstKept ?? last + 1)));
  return deleted;
}
