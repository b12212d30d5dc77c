// The hub side of access points' sealed calls: checks that the request comes from the contact
// point whose subject it arrived on (signature against the registry), is fresh and not replayed,
// opens it, runs the operation, and seals the answer to that contact point.
import type { ServiceMsg } from "@nats-io/services";
import { decodeEnvelopeBytes, decodeMessage, newId, type ContactPointKeys } from "../crypto/mod.js";
import { HUB, isUserId } from "../domain/mod.js";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../audit/mod.js";
import { LiaisonError, toLiaisonError } from "../errors.js";
import { subjects, type EndpointDef } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import type { RegistryView } from "../registry/mod.js";
import { SealedParty } from "./sealed-party.js";
import { operationOf, type HubOp, type HubReplyInput, type HubRequest, type HubService } from "./operations.js";

export interface HubCall<Q = unknown> {
  /** The calling contact point (from the subject, checked against the signature). */
  readonly cp: string;
  readonly userId: string;
  /** The operation's request, decoded (its type is the operation's, HUB_OPERATIONS). */
  readonly request: Q;
  readonly requestId: string;
}

/** What answers `service.op`: its request in, its reply out. */
export type HubHandler<S extends HubService, O extends HubOp<S>> = (call: HubCall<HubRequest<S, O>>) => Promise<HubReplyInput<S, O>>;

/** One handler for each of `service`'s operations, each with the types HUB_OPERATIONS gives it. */
export type HubHandlers<S extends HubService> = { readonly [O in HubOp<S>]: HubHandler<S, O> };

const FRESH_MS = 5 * 60_000;

export class HubRpcServer {
  readonly #party: SealedParty;
  /** Request ids seen within the freshness window: a replayed request is refused. */
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly hubKeys: ContactPointKeys,
    private readonly registry: () => RegistryView,
    private readonly now: () => number = Date.now,
    /** Refusals (bad input, not the supplier, no purpose...) are logged here. */
    private readonly audit?: AuditEmitter,
  ) {
    this.#party = new SealedParty(HUB, hubKeys, registry, now);
  }

  #remember(id: string): void {
    const now = this.now();
    if (this.#seen.size > 100_000) for (const [k, at] of this.#seen) if (now - at > FRESH_MS) this.#seen.delete(k);
    if (this.#seen.has(id)) throw new LiaisonError("LIAISON_REPLAY", `request ${id} was seen before`);
    this.#seen.set(id, now);
  }

  /** `caller.userId` is set once the request has opened, so a refusal after that names the user. */
  async #serve<S extends HubService, O extends HubOp<S>>(service: S, op: O, msg: ServiceMsg, handler: HubHandler<S, O>, caller: { userId?: string }): Promise<Uint8Array> {
    const cp = msg.subject.split(".")[3] ?? "";
    const dec = decodeEnvelopeBytes(msg.data);
    const h = dec.header;
    if (h.sender !== cp) throw new LiaisonError("LIAISON_FORGED_SENDER", `request names ${h.sender}, arrived from ${cp}`);
    this.registry().requireActive(cp);
    this.#party.verify("envelope", dec, cp);
    if (h.kind !== pb.MessageKind.MESSAGE_KIND_HUB_REQUEST || h.recipients.length !== 1 || h.recipients[0] !== HUB) {
      throw new LiaisonError("LIAISON_KIND_NOT_ALLOWED", "not a hub request");
    }
    const age = this.now() - h.createdAtMs;
    if (age > FRESH_MS || age < -60_000) throw new LiaisonError("LIAISON_REPLAY", "the request is not fresh");
    this.#remember(h.id);
    const req = decodeMessage(pb.HubRequest, this.#party.open(dec));
    if (req.op !== `${service}.${op}`) throw new LiaisonError("LIAISON_BAD_REQUEST", `request for ${req.op} sent to ${service}.${op}`);
    const types = operationOf(service, op);
    // The user id comes from the member: checked before it goes into any audit event (the refusal
    // of a bad one names the access point only, and never repeats what was sent).
    if (req.userId && !isUserId(req.userId)) throw new LiaisonError("LIAISON_VALIDATION", "the user id is not 1 to 64 letters, digits, '.', '-' and '_' starting with a letter or digit");
    caller.userId = req.userId || `access-point:${cp}`;
    const request = decodeMessage(types.request, req.body);
    const body = types.reply.encode(await handler({ cp, userId: caller.userId, request, requestId: h.id })).finish();
    const header = pb.EnvelopeHeader.create({
      id: newId(),
      sender: HUB,
      recipients: [cp],
      kind: pb.MessageKind.MESSAGE_KIND_HUB_RESPONSE,
      createdAtMs: this.now(),
      priority: pb.Priority.PRIORITY_NORMAL,
      senderKeyId: this.hubKeys.signing.keyId,
      inReplyTo: h.id,
    });
    return this.#party.seal("response", header, pb.HubResponse.encode({ op: req.op, body }).finish(), cp);
  }

  /** A micro service endpoint for `service.op`, answering every contact point on its own subject. */
  endpoint<S extends HubService, O extends HubOp<S>>(service: S, op: O, handler: HubHandler<S, O>): EndpointDef {
    return {
      name: op,
      subject: subjects.cpApiAll(service, op),
      handler: async (msg) => {
        const caller: { userId?: string } = {};
        try {
          return await this.#serve(service, op, msg, handler, caller);
        } catch (err) {
          const e = toLiaisonError(err);
          if (this.audit && e.status < 500) {
            await this.audit
              .emit({
                action: AuditAction.AUDIT_ACTION_REFUSAL,
                authority: msg.subject.split(".")[3] ?? "?",
                userId: caller.userId ?? "access-point",
                objectType: service,
                objectId: `${service}.${op}`,
                outcome: AuditOutcome.AUDIT_OUTCOME_REFUSED,
                reasonCode: e.code,
                details: { reason: e.detail },
              })
              .catch(() => undefined);
          }
          throw e;
        }
      },
    };
  }
}
