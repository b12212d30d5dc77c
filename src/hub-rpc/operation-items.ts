// Items inside a joint customs operation (documents, comments, group messages, recommendations):
// sealed by the author's access point to the operation's members at that moment and signed by the
// author. The signed header binds the item's clear metadata (case_ref "jco.<operation>.<sha256 of
// the metadata>"), so neither the hub nor anyone else can change a marking, a template or a
// recipient without the signature failing. The hub checks; readers check again when they open.
import { BatchSigner, BatchVerifier, decodeEnvelopeBytes, Ed25519Signer, hex, newId, Opener, Sealer, sha256, type ContactPointKeys, type DecodedEnvelope } from "../crypto/mod.js";
import { LiaisonError } from "../errors.js";
import { pb } from "../proto/mod.js";
import type { RegistryView } from "../registry/mod.js";

/** The metadata in its one encoding (decoded then encoded again, so both sides hash the same bytes). */
const canonical = (meta: pb.IOperationItemMeta) => pb.OperationItemMeta.encode(pb.OperationItemMeta.decode(pb.OperationItemMeta.encode(meta).finish())).finish();

/** The case reference an item's signed header carries: its operation and the digest of its clear metadata. */
export const itemCaseRef = (meta: pb.IOperationItemMeta): string => `jco.${meta.operationId ?? ""}.${hex(sha256(canonical(meta)))}`;

/**
 * Checks that `envelope` is an item `author` signed with this `meta`: the signature against the
 * registry, the sender, the bound metadata. Returns it decoded; throws LIAISON_BAD_SIGNATURE,
 * LIAISON_FORGED_SENDER or a key error.
 */
export function verifyItemEnvelope(verifier: BatchVerifier, envelope: Uint8Array, meta: pb.IOperationItemMeta, author: string): DecodedEnvelope {
  const dec = decodeEnvelopeBytes(envelope);
  if (dec.header.kind !== pb.MessageKind.MESSAGE_KIND_OPERATION_ITEM) throw new LiaisonError("LIAISON_KIND_NOT_ALLOWED", "not an operation item");
  if (dec.header.sender !== author) throw new LiaisonError("LIAISON_FORGED_SENDER", `the item names ${dec.header.sender} as its author, not ${author}`);
  verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, author);
  if (dec.header.caseRef !== itemCaseRef(meta)) throw new LiaisonError("LIAISON_BAD_SIGNATURE", "the item's clear metadata is not what its author signed");
  return dec;
}

/** The parties an envelope is sealed to: its header's recipients and those it has a wrapped key for. */
export function sealedTo(dec: DecodedEnvelope): { readonly header: string[]; readonly keys: string[] } {
  return { header: [...dec.header.recipients], keys: dec.sealed.keys.map((k) => k.recipient ?? "") };
}

/** An access point's side: seals items to the members and opens (and checks) those sealed to it. */
export class OperationItemSealer {
  readonly #sealer = new Sealer();
  readonly #signer: BatchSigner;
  readonly #opener: Opener;
  readonly #verifier: BatchVerifier;

  constructor(
    private readonly keys: ContactPointKeys,
    private readonly registry: () => RegistryView,
    private readonly now: () => number = Date.now,
  ) {
    this.#signer = new BatchSigner(new Ed25519Signer(keys.signing), { now });
    this.#opener = new Opener(keys.owner, keys.encryption);
    this.#verifier = new BatchVerifier((keyId) => registry().signingKey(keyId));
  }

  /** `content` with `meta`, sealed to `members` and signed: the item's id and envelope bytes. */
  async seal(meta: pb.IOperationItemMeta, content: pb.IOperationItemContent, members: readonly string[]): Promise<{ id: string; envelope: Uint8Array }> {
    const id = newId();
    const header = pb.EnvelopeHeader.create({
      id,
      sender: this.keys.owner,
      recipients: [...members],
      kind: pb.MessageKind.MESSAGE_KIND_OPERATION_ITEM,
      createdAtMs: this.now(),
      priority: pb.Priority.PRIORITY_NORMAL,
      senderKeyId: this.keys.signing.keyId,
      caseRef: itemCaseRef(meta),
    });
    const view = this.registry();
    const sealed = this.#sealer.seal(header, pb.OperationItemContent.encode(content).finish(), members.map((m) => view.encryptionKey(m)));
    const signature = await this.#signer.sign("envelope", sealed);
    return { id, envelope: pb.Envelope.encode({ sealed, signature }).finish() };
  }

  /** A stored item's content, after checking its author's signature over it and its metadata. */
  open(item: pb.IStoredOperationItem): pb.OperationItemContent {
    const dec = verifyItemEnvelope(this.#verifier, item.envelope ?? new Uint8Array(), item.meta ?? {}, item.author ?? "");
    if (dec.header.id !== item.id) throw new LiaisonError("LIAISON_BAD_SIGNATURE", `item ${item.id ?? ""} carries the envelope of ${dec.header.id}`);
    return pb.OperationItemContent.decode(this.#opener.open(dec.sealed).payload);
  }
}
