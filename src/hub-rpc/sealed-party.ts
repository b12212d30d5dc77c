// One side of the sealed hub calls (an access point, or the hub's data service): seals and signs
// what it sends to one party, checks the signature on what it gets and opens it.
import { BatchSigner, BatchVerifier, Ed25519Signer, Opener, Sealer, type ContactPointKeys, type DecodedEnvelope, type SignedType } from "../crypto/mod.js";
import { pb } from "../proto/mod.js";
import type { RegistryView } from "../registry/mod.js";

export class SealedParty {
  readonly #sealer = new Sealer();
  readonly #signer: BatchSigner;
  readonly #opener: Opener;
  readonly #verifier: BatchVerifier;

  /** `owner` is whom `keys` belong to (a contact point, or HUB); signers' keys come from the registry. */
  constructor(
    owner: string,
    keys: ContactPointKeys,
    private readonly registry: () => RegistryView,
    now: () => number = Date.now,
  ) {
    this.#signer = new BatchSigner(new Ed25519Signer(keys.signing), { now });
    this.#opener = new Opener(owner, keys.encryption);
    this.#verifier = new BatchVerifier((keyId) => registry().signingKey(keyId));
  }

  /** `payload` under `header`, sealed to `to` and signed as a `type`: the envelope's bytes. */
  async seal(type: SignedType, header: pb.IEnvelopeHeader, payload: Uint8Array, to: string): Promise<Uint8Array> {
    const sealed = this.#sealer.seal(header, payload, [this.registry().encryptionKey(to)]);
    const signature = await this.#signer.sign(type, sealed);
    return pb.Envelope.encode({ sealed, signature }).finish();
  }

  /** Throws unless `signer` signed the envelope as a `type`. */
  verify(type: SignedType, dec: DecodedEnvelope, signer: string): void {
    this.#verifier.verify(type, dec.envelope.sealed, dec.envelope.signature, signer);
  }

  /** The sealed payload, opened with this side's key. */
  open(dec: DecodedEnvelope): Uint8Array {
    return this.#opener.open(dec.sealed).payload;
  }
}
