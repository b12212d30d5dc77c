// Fills the hub with synthetic CIS records written straight into JetStream in exactly the form the
// records service writes them (encrypted content, wrapped data key, index header, due entry), much
// faster than through the API. For benchmarks only.
import type { NatsConnection } from "@nats-io/nats-core";
import { b64u, BlindIndexer, newId, randomBytes, xchachaEncrypt, type KekRing } from "../../src/crypto/mod.js";
import { indexForms, nextRecordEvent } from "../../src/domain/mod.js";
import { keyIdFor, keyLocation, wrapDataKey } from "../../src/keystore/mod.js";
import { JsPublisher, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { hourBucket } from "../../src/retention/mod.js";
import { contentAad } from "../../services/records/handlers.js";

export interface GeneratedRecord {
  readonly id: string;
  readonly vat: string;
  readonly name: string;
}

export const syntheticName = (i: number) => `Synthetic Trading ${i.toString(36)}`;
export const syntheticVat = (i: number) => `BE${String(1_000_000_000 + i).padStart(10, "0")}`;

/** Writes `count` records supplied by `supplier`, numbered from `first`, due for review at `reviewDueMs`. */
export async function generateRecords(
  nc: NatsConnection,
  kek: KekRing,
  o: { first: number; count: number; supplier: string; reviewDueMs: number; nowMs: number; window?: number; onProgress?: (n: number) => void },
): Promise<void> {
  const pub = new JsPublisher(nc, { timeoutMs: 60_000 });
  const blind = new BlindIndexer(kek.blindIndexKey);
  const window = o.window ?? 2_048;
  const inflight: Array<Promise<unknown>> = [];
  for (let i = o.first; i < o.first + o.count; i++) {
    const id = newId();
    const key = randomBytes(32);
    const keyId = keyIdFor(id);
    const content: pb.ICisRecordContent = {
      category: pb.RecordCategory.RECORD_CATEGORY_BUSINESS,
      purpose: pb.RecordPurpose.RECORD_PURPOSE_SPECIFIC_CHECK,
      suggestedAction: "check the consignment",
      identifiers: [
        { type: pb.IdentifierType.IDENTIFIER_TYPE_COMPANY_NAME, value: syntheticName(i) },
        { type: pb.IdentifierType.IDENTIFIER_TYPE_VAT_NUMBER, value: syntheticVat(i) },
      ],
      freeText: `synthetic record ${i} for the benchmark`,
    };
    const refs = (content.identifiers ?? []).flatMap((x) => indexForms(x).map((f) => ({ ref: blind.ref(f.type, f.form), type: f.type })));
    const nonce = randomBytes(24);
    const stored: pb.IStoredRecord = {
      id,
      supplier: o.supplier,
      category: content.category ?? 0,
      createdAtMs: o.nowMs,
      updatedAtMs: o.nowMs,
      reviewDueMs: o.reviewDueMs,
      dataKeyId: keyId,
      nonce,
      ciphertext: xchachaEncrypt(key, nonce, pb.CisRecordContent.encode(content).finish(), contentAad(id)),
      blindIndexes: refs.map((r) => Buffer.from(r.ref).toString("hex")),
    };
    const index = pb.IndexEntry.encode({ id, supplier: o.supplier, category: stored.category ?? 0, blindIndexes: refs.map((r) => r.ref), indexTypes: refs.map((r) => r.type) }).finish();
    const next = nextRecordEvent(o.reviewDueMs, o.nowMs);
    inflight.push(
      pub.publish(keyLocation(keyId).subject, pb.WrappedDataKey.encode(wrapDataKey(kek.current(), keyId, id, key)).finish()),
      pub.publish(`$KV.records.rec.${id}`, pb.StoredRecord.encode(stored).finish(), { headers: { "Liaison-Index": b64u(index) } }),
      pub.publish(
        subjects.dueHour(String(Math.max(hourBucket(next.atMs), hourBucket(o.nowMs)))),
        new TextEncoder().encode(JSON.stringify({ kind: "record", id, dueAtMs: next.atMs, meta: { supplier: o.supplier, stage: next.stage, reviewDueMs: String(o.reviewDueMs) } })),
      ),
    );
    if (inflight.length >= window * 3) {
      await Promise.all(inflight.splice(0));
      o.onProgress?.(i - o.first + 1);
    }
  }
  await Promise.all(inflight);
  pub.close();
}
