// Calls the audit service over NATS (the console and the tests): protobuf requests, replies decoded
// and their errors turned back into LiaisonErrors.
import type { NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";
import { requestService } from "../nats/mod.js";
import type { pb } from "../proto/mod.js";
import { auditOperation, type AuditOp, type AuditReply, type AuditRequestInput } from "./api.js";
import { treeHeadFromProto, type SignedTreeHead } from "./tree-head.js";

export interface HeadWithFrontier {
  readonly head: SignedTreeHead;
  readonly frontier: readonly Uint8Array[];
}

export class AuditClient {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;

  constructor(nc: NatsConnection, opts: { timeoutMs?: number } = {}) {
    this.#nc = nc;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Calls `op` (AUDIT_API) with its request; returns its reply, decoded. */
  async #call<K extends AuditOp>(op: K, request: AuditRequestInput<K>): Promise<AuditReply<K>> {
    const types = auditOperation(op);
    const body = types.request ? types.request.encode(request).finish() : new Uint8Array(0);
    const bytes = await requestService(this.#nc, types.subject, body, this.#timeoutMs);
    try {
      return types.reply.decode(bytes);
    } catch (err) {
      throw new LiaisonError("LIAISON_MALFORMED_PROTOBUF", `the audit service's ${types.name} reply does not decode`, { cause: err });
    }
  }

  /** The latest signed head (size 0), or a head of the given size; with its frontier when asked. */
  async head(treeSize = 0, withFrontier = false): Promise<HeadWithFrontier> {
    const r = await this.#call("head", { treeSize, withFrontier });
    return { head: treeHeadFromProto(r.head ?? {}), frontier: r.frontier };
  }

  /** Signs a head of the tree as it is now. */
  async signHead(): Promise<SignedTreeHead> {
    return treeHeadFromProto((await this.#call("signHead", null)).head ?? {});
  }

  async inclusion(leafIndex: number, treeSize = 0): Promise<pb.InclusionProof> {
    return this.#call("inclusion", { leafIndex, treeSize });
  }

  async consistency(firstSize: number, secondSize = 0): Promise<pb.ConsistencyProof> {
    return this.#call("consistency", { firstSize, secondSize });
  }

  async query(q: pb.IAuditQuery): Promise<pb.AuditQueryResult> {
    return this.#call("query", q);
  }

  async exportPage(req: pb.IAuditExportRequest): Promise<pb.AuditExportPage> {
    return this.#call("export", req);
  }

  async key(): Promise<{ keyId: string; publicKey: Uint8Array; algorithm: string }> {
    const k = await this.#call("key", null);
    return { keyId: k.keyId, publicKey: k.publicKey, algorithm: k.algorithm };
  }
}
