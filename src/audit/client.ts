// Calls the audit service over NATS (the console and the tests): protobuf requests, replies decoded
// and their errors turned back into LiaisonErrors.
import type { NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";
import { requestService } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import { AUDIT_API } from "./api.js";
import { treeHeadFromProto, type SignedTreeHead } from "./tree-head.js";

export interface HeadWithFrontier {
  readonly head: SignedTreeHead;
  readonly frontier: readonly Uint8Array[];
}

function decode<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new LiaisonError("LIAISON_MALFORMED_PROTOBUF", `the audit service's ${what} reply does not decode`, { cause: err });
  }
}

export class AuditClient {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;

  constructor(nc: NatsConnection, opts: { timeoutMs?: number } = {}) {
    this.#nc = nc;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async #call(subject: string, body: Uint8Array): Promise<Uint8Array> {
    return requestService(this.#nc, subject, body, this.#timeoutMs);
  }

  /** The latest signed head (size 0), or a head of the given size; with its frontier when asked. */
  async head(treeSize = 0, withFrontier = false): Promise<HeadWithFrontier> {
    const bytes = await this.#call(AUDIT_API.head, pb.AuditHeadRequest.encode({ treeSize, withFrontier }).finish());
    const r = decode("head", () => pb.AuditHeadResponse.decode(bytes));
    return { head: treeHeadFromProto(r.head ?? {}), frontier: r.frontier };
  }

  /** Signs a head of the tree as it is now. */
  async signHead(): Promise<SignedTreeHead> {
    const bytes = await this.#call(AUDIT_API.signHead, new Uint8Array(0));
    return treeHeadFromProto(decode("sign-head", () => pb.AuditHeadResponse.decode(bytes)).head ?? {});
  }

  async inclusion(leafIndex: number, treeSize = 0): Promise<pb.InclusionProof> {
    const bytes = await this.#call(AUDIT_API.inclusion, pb.InclusionRequest.encode({ leafIndex, treeSize }).finish());
    return decode("inclusion", () => pb.InclusionProof.decode(bytes));
  }

  async consistency(firstSize: number, secondSize = 0): Promise<pb.ConsistencyProof> {
    const bytes = await this.#call(AUDIT_API.consistency, pb.ConsistencyRequest.encode({ firstSize, secondSize }).finish());
    return decode("consistency", () => pb.ConsistencyProof.decode(bytes));
  }

  async query(q: pb.IAuditQuery): Promise<pb.AuditQueryResult> {
    const bytes = await this.#call(AUDIT_API.query, pb.AuditQuery.encode(q).finish());
    return decode("query", () => pb.AuditQueryResult.decode(bytes));
  }

  async exportPage(req: pb.IAuditExportRequest): Promise<pb.AuditExportPage> {
    const bytes = await this.#call(AUDIT_API.export, pb.AuditExportRequest.encode(req).finish());
    return decode("export", () => pb.AuditExportPage.decode(bytes));
  }

  async key(): Promise<{ keyId: string; publicKey: Uint8Array; algorithm: string }> {
    const bytes = await this.#call(AUDIT_API.key, new Uint8Array(0));
    const k = decode("key", () => pb.AuditKeyInfo.decode(bytes));
    return { keyId: k.keyId, publicKey: k.publicKey, algorithm: k.algorithm };
  }
}
