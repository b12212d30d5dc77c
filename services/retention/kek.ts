// Key-encryption-key rotation (crypto-shredding's second half): a new KEK, every surviving data key
// re-wrapped under it, then the old KEK destroyed. A data key erased before the rotation, but left
// in a Raft log, a snapshot or a backup of a data-key stream (RECORD_KEYS and its shards), is wrapped under a KEK that no longer exists:
// unreadable after one epoch.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditAction, type AuditEmitter } from "../../src/audit/mod.js";
import { aeadOpen, randomBytes, readHubSecrets, utf8, writeHubSecrets } from "../../src/crypto/mod.js";
import { HUB } from "../../src/domain/mod.js";
import { keyLocation, wrapDataKey } from "../../src/keystore/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { JsPublisher, KEY_SHARDS, keyShardStream, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";

export interface RotationResult {
  readonly epoch: number;
  readonly rewrapped: number;
  readonly destroyedEpochs: number[];
}

const aad = (keyId: string, objectId: string, epoch: number) => utf8(`liaison.v1.data-key\0${keyId}\0${objectId}\0${epoch}`);

/** Re-wraps every data key older than `epoch`, in every shard; compare-and-swap, so a key erased meanwhile stays erased. */
async function rewrap(nc: NatsConnection, path: string, epoch: number, pub: JsPublisher): Promise<number> {
  // Every data-key stream there is, not only the KEY_SHARDS provisioned now: were the count ever
  // lowered, keys in a shard beyond it would otherwise be left under a KEK about to be destroyed.
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const streams = new Set(Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k)));
  for await (const name of jsm.streams.names()) if (/^RECORD_KEYS(_[1-9][0-9]*)?$/.test(name)) streams.add(name);
  let n = 0;
  for (const stream of streams) n += await rewrapStream(nc, stream, path, epoch, pub);
  return n;
}

async function rewrapStream(nc: NatsConnection, stream: string, path: string, epoch: number, pub: JsPublisher): Promise<number> {
  const secrets = readHubSecrets(path);
  const target = secrets.keks.find((k) => k.epoch === epoch);
  if (!target) throw new Error(`no KEK of epoch ${epoch}`);
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return 0;
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.LastPerSubject });
  const iter = await consumer.consume({ max_messages: 2_000 });
  const writes: Array<Promise<unknown>> = [];
  let n = 0;
  for await (const m of iter) {
    const w = pb.WrappedDataKey.decode(m.data);
    if (w.kekEpoch < epoch) {
      const old = secrets.keks.find((k) => k.epoch === w.kekEpoch);
      if (old) {
        const key = aeadOpen(old.key, w.nonce, w.wrapped, aad(w.keyId, w.objectId, w.kekEpoch));
        const next = wrapDataKey(target, w.keyId, w.objectId, key);
        key.fill(0);
        writes.push(
          pub
            .publish(keyLocation(w.keyId).subject, pb.WrappedDataKey.encode(next).finish(), { expectStream: stream, expectLastSubjectSequence: m.seq })
            .then(
              () => n++,
              () => undefined, // erased or re-wrapped meanwhile
            ),
        );
        if (writes.length >= 512) await Promise.all(writes.splice(0));
      }
    }
    if (m.info.pending === 0) break;
  }
  await iter.close();
  await Promise.all(writes);
  return n;
}

export async function rotateKek(o: { nc: NatsConnection; secretsPath: string; audit: AuditEmitter; log: Logger; now: () => number; graceMs?: number }): Promise<RotationResult> {
  const before = readHubSecrets(o.secretsPath);
  const epoch = Math.max(...before.keks.map((k) => k.epoch)) + 1;
  // 1. The new KEK becomes current; services pick it up by the file's change (and the notice below).
  writeHubSecrets(o.secretsPath, { ...before, keks: [{ epoch, key: randomBytes(32), createdAtMs: o.now() }, ...before.keks] });
  o.nc.publish(subjects.live("kek"), utf8(String(epoch)));
  // 2. Keys wrapped by a service that had not noticed yet land within the grace period.
  await new Promise((r) => setTimeout(r, o.graceMs ?? 2_000));
  const pub = new JsPublisher(o.nc);
  let rewrapped = 0;
  try {
    // 3. Two passes: the second catches keys created under the old KEK during the first.
    rewrapped += await rewrap(o.nc, o.secretsPath, epoch, pub);
    rewrapped += await rewrap(o.nc, o.secretsPath, epoch, pub);
  } finally {
    pub.close();
  }
  // 4. The old KEKs are destroyed.
  const after = readHubSecrets(o.secretsPath);
  const destroyedEpochs = after.keks.filter((k) => k.epoch !== epoch).map((k) => k.epoch);
  writeHubSecrets(o.secretsPath, { ...after, keks: after.keks.filter((k) => k.epoch === epoch) });
  for (const k of before.keks) k.key.fill(0);
  await o.audit.emit({
    action: AuditAction.AUDIT_ACTION_KEY_CHANGE,
    authority: HUB,
    userId: "retention",
    objectType: "key-encryption-key",
    objectId: `epoch-${epoch}`,
    details: { rewrapped: String(rewrapped), destroyedEpochs: destroyedEpochs.join(",") },
  });
  o.log.info({ epoch, rewrapped, destroyedEpochs }, "key-encryption key rotated");
  return { epoch, rewrapped, destroyedEpochs };
}
