// Items inside a joint operation are sealed to its members and signed by their author, with the
// clear metadata bound to the signature (src/hub-rpc/operation-items.ts): a reader opens only what
// was sealed to it, and an item whose metadata, id or bytes changed after signing does not open.
import { describe, expect, it } from "vitest";
import { decodeEnvelopeBytes, generateContactPointKeys, type ContactPointKeys } from "../../src/crypto/mod.js";
import { checkKind } from "../../src/domain/mod.js";
import { itemCaseRef, OperationItemSealer } from "../../src/hub-rpc/mod.js";
import { pb } from "../../src/proto/mod.js";
import { publicKeyEntry, RegistryView } from "../../src/registry/mod.js";

const keys = Object.fromEntries(["DE", "NL", "PL"].map((cp) => [cp, generateContactPointKeys(cp)])) as Record<string, ContactPointKeys>;
const entry = (k: ContactPointKeys): pb.IContactPoint => ({ code: k.owner, active: true, keys: [publicKeyEntry(k.signing, 0), ...k.encryption.map((e) => publicKeyEntry(e, 0))] });
const view = new RegistryView(Object.values(keys).map(entry));
const sealer = (cp: string) => new OperationItemSealer(keys[cp] as ContactPointKeys, () => view);
const meta: pb.IOperationItemMeta = { operationId: "op1", kind: "message", template: "seizure", classification: "RESTREINT UE" };

async function stored(m: pb.IOperationItemMeta = meta): Promise<pb.StoredOperationItem> {
  const { id, envelope } = await sealer("NL").seal(m, { bodyJson: '{"commodity":"cash"}' }, ["DE", "NL"]);
  return pb.StoredOperationItem.create({ id, author: "NL", meta: m, envelope, recipients: ["DE", "NL"] });
}

describe("operation items, sealed", () => {
  it("binds the same metadata to the same case reference whether its empty fields were set or left out", () => {
    expect(itemCaseRef({ ...meta, handlingCodes: [], inReplyTo: "", version: 0 })).toBe(itemCaseRef(meta));
    expect(itemCaseRef({ ...meta, classification: "" })).not.toBe(itemCaseRef(meta));
    expect(itemCaseRef(meta)).toMatch(/^jco\.op1\.[0-9a-f]{64}$/);
  });

  it("opens for each member it was sealed to, and not for anyone else", async () => {
    const item = await stored();
    expect(sealer("DE").open(item).bodyJson).toBe('{"commodity":"cash"}');
    expect(sealer("NL").open(item).bodyJson).toBe('{"commodity":"cash"}');
    expect(() => sealer("PL").open(item)).toThrow(expect.objectContaining({ code: "LIAISON_DECRYPT_FAILED" }));
  });

  it("refuses an item whose marking, id, author or bytes changed after its author signed it", async () => {
    const item = await stored();
    expect(() => sealer("DE").open(pb.StoredOperationItem.create({ ...item, meta: { ...meta, classification: "" } }))).toThrow(expect.objectContaining({ code: "LIAISON_BAD_SIGNATURE" }));
    expect(() => sealer("DE").open(pb.StoredOperationItem.create({ ...item, id: "another" }))).toThrow(expect.objectContaining({ code: "LIAISON_BAD_SIGNATURE" }));
    expect(() => sealer("DE").open(pb.StoredOperationItem.create({ ...item, author: "PL" }))).toThrow(expect.objectContaining({ code: "LIAISON_FORGED_SENDER" }));
    const env = pb.Envelope.decode(item.envelope);
    const sealed = Uint8Array.from(env.sealed);
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    const altered = pb.Envelope.encode({ sealed, signature: env.signature }).finish();
    expect(() => sealer("DE").open(pb.StoredOperationItem.create({ ...item, envelope: altered }))).toThrow(expect.objectContaining({ code: "LIAISON_BAD_SIGNATURE" }));
  });

  it("is an envelope of its own kind, which the exchange refuses to route between members", async () => {
    const h = decodeEnvelopeBytes((await stored()).envelope).header;
    expect(h.kind).toBe(pb.MessageKind.MESSAGE_KIND_OPERATION_ITEM);
    expect(checkKind(h)?.code).toBe("LIAISON_KIND_NOT_ALLOWED");
  });
});
