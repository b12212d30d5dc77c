// Decoding what arrives on the wire into checked structures, with LIAISON_MALFORMED_PROTOBUF or
// LIAISON_MISSING_FIELD instead of whatever protobufjs throws.
import protobuf from "protobufjs/minimal.js";
import { isObjectId } from "../domain/mod.js";
import { LiaisonError } from "../errors.js";
import { pb } from "../proto/mod.js";

const { Reader, Writer } = protobuf;

export interface DecodedEnvelope {
  readonly envelope: { readonly sealed: Uint8Array; readonly signature: pb.IBatchSignature };
  readonly sealed: pb.SealedContent;
  readonly header: pb.EnvelopeHeader;
}

/** protobufjs decode with a registered error: the bytes are not a `what`. */
export function decodeAs<T>(decode: (b: Uint8Array) => T, bytes: Uint8Array, what: string): T {
  try {
    return decode(bytes);
  } catch (err) {
    throw new LiaisonError("LIAISON_MALFORMED_PROTOBUF", `not a ${what}`, { cause: err });
  }
}

/** A generated protobuf message class: `I` is what it encodes, `M` what it decodes to. */
export interface MessageType<I, M> {
  encode(message: I): { finish(): Uint8Array };
  decode(bytes: Uint8Array): M;
  /** "/liaison.v1.RecordSubmit" with prefix "". */
  getTypeUrl(prefix?: string): string;
}

/** A generated message type's name, as its errors give it: "RecordSubmit" for liaison.v1.RecordSubmit. */
export const messageName = (type: Pick<MessageType<never, unknown>, "getTypeUrl">): string => type.getTypeUrl("").replace(/^\/liaison\.v1\./, "");

/** `decodeAs` for a generated message type, named by its type. */
export function decodeMessage<M>(type: Pick<MessageType<never, M>, "decode" | "getTypeUrl">, bytes: Uint8Array): M {
  return decodeAs((b) => type.decode(b), bytes, messageName(type));
}

export function decodeEnvelope(envelope: pb.IEnvelope): DecodedEnvelope {
  const sealedBytes = envelope.sealed;
  const signature = envelope.signature;
  if (!sealedBytes?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "envelope.sealed");
  if (!signature) throw new LiaisonError("LIAISON_MISSING_FIELD", "envelope.signature");
  const sealed = decodeMessage(pb.SealedContent, sealedBytes);
  if (!sealed.header?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "sealed.header");
  if (!sealed.ciphertext?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "sealed.ciphertext");
  const header = decodeMessage(pb.EnvelopeHeader, sealed.header);
  for (const [field, ok] of [
    ["header.id", !!header.id],
    ["header.sender", !!header.sender],
    ["header.recipients", header.recipients.length > 0],
    ["header.kind", header.kind !== pb.MessageKind.MESSAGE_KIND_UNSPECIFIED],
    ["header.created_at_ms", header.createdAtMs > 0],
    ["header.sender_key_id", !!header.senderKeyId],
  ] as const) {
    if (!ok) throw new LiaisonError("LIAISON_MISSING_FIELD", field);
  }
  // Envelope ids become path parameters, store keys and message-id headers at every access point
  // that keeps the message: a sender cannot choose one that is not an id.
  if (!isObjectId(header.id)) throw new LiaisonError("LIAISON_BAD_ID", "header.id is not an id");
  if (header.inReplyTo && !isObjectId(header.inReplyTo)) throw new LiaisonError("LIAISON_BAD_ID", "header.in_reply_to is not an id");
  return { envelope: { sealed: sealedBytes, signature }, sealed, header };
}

/** An InboxItem carrying a serialised Envelope, framed without re-encoding (field 1, length-delimited). */
export function inboxItemOfEnvelope(envelopeBytes: Uint8Array): Uint8Array {
  return Writer.create().uint32((1 << 3) | 2).bytes(envelopeBytes).finish();
}

/** The serialised Envelope inside an InboxItem or SubmitItem that carries one, or undefined. */
export function envelopeBytesOf(item: Uint8Array): Uint8Array | undefined {
  try {
    const r = Reader.create(item);
    if (r.uint32() !== ((1 << 3) | 2)) return undefined;
    const bytes = r.bytes();
    return r.pos === item.length ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export function decodeEnvelopeBytes(bytes: Uint8Array): DecodedEnvelope {
  return decodeEnvelope(decodeMessage(pb.Envelope, bytes));
}
