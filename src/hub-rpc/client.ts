// An access point's calls to hub services (records, files): the request is sealed to the hub's
// key and signed by the contact point; the answer is sealed to the contact point and signed by the
// hub. Identifiers and record content never cross NATS in clear, even inside TLS.
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeEnvelopeBytes, decodeMessage, newId, type ContactPointKeys } from "../crypto/mod.js";
import { HUB } from "../domain/mod.js";
import { LiaisonError } from "../errors.js";
import { requestService, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import type { RegistryView } from "../registry/mod.js";
import { operationOf, type HubOp, type HubReply, type HubRequestInput, type HubService } from "./operations.js";
import { SealedParty } from "./sealed-party.js";

export class HubClient {
  readonly #party: SealedParty;

  constructor(
    private readonly nc: NatsConnection,
    private readonly keys: ContactPointKeys,
    registry: () => RegistryView,
    private readonly timeoutMs = 10_000,
  ) {
    this.#party = new SealedParty(keys.owner, keys, registry);
  }

  /** Calls `service.op` (HUB_OPERATIONS) for `userId` with its request; returns its reply or throws its LiaisonError. */
  async call<S extends HubService, O extends HubOp<S>>(service: S, op: O, userId: string, request: HubRequestInput<S, O>): Promise<HubReply<S, O>> {
    const types = operationOf(service, op);
    const reply = await this.#call(service, op, userId, types.request.encode(request).finish());
    // Signed by the hub: a reply that does not decode is the hub's fault (500), not the caller's.
    return types.reply.decode(reply);
  }

  /** The sealed, signed exchange for `service.op`: the request's bytes out, the reply's bytes back. */
  async #call(service: HubService, op: string, userId: string, body: Uint8Array): Promise<Uint8Array> {
    const cp = this.keys.owner;
    const header = pb.EnvelopeHeader.create({
      id: newId(),
      sender: cp,
      recipients: [HUB],
      kind: pb.MessageKind.MESSAGE_KIND_HUB_REQUEST,
      createdAtMs: Date.now(),
      priority: pb.Priority.PRIORITY_NORMAL,
      senderKeyId: this.keys.signing.keyId,
    });
    const payload = pb.HubRequest.encode({ op: `${service}.${op}`, userId, body }).finish();
    const envelope = await this.#party.seal("envelope", header, payload, HUB);
    const dec = decodeEnvelopeBytes(await requestService(this.nc, subjects.cpApi(service, cp, op), envelope, this.timeoutMs));
    this.#party.verify("response", dec, HUB);
    if (dec.header.kind !== pb.MessageKind.MESSAGE_KIND_HUB_RESPONSE || dec.header.inReplyTo !== header.id) {
      throw new LiaisonError("LIAISON_BAD_REQUEST", "the hub's answer does not answer this request");
    }
    return decodeMessage(pb.HubResponse, this.#party.open(dec)).body;
  }
}
