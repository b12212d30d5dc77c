// The audit service: appends every audit event to the RFC 9162 tree, signs tree heads, serves
// proofs, supervisor queries and exports. Composition root only; the logic is in engine.ts,
// heads.ts and handlers.ts.
import { auditKeyId } from "../../src/audit/mod.js";
import { auditSchema, loadConfig } from "../../src/config/mod.js";
import { Ed25519Signer, readKeyFile } from "../../src/crypto/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats } from "../../src/nats/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startAuditService } from "./service.js";

await runMain("audit", async () => {
  const cfg = loadConfig("audit", auditSchema);
  const log = createLogger("audit", cfg.logLevel);
  const keys = readKeyFile(cfg.auditKeyFile);
  const signer = new Ed25519Signer(keys.signing);
  if (signer.keyId !== auditKeyId(signer.publicKey)) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `${cfg.auditKeyFile} belongs to ${keys.owner}; the audit key file's owner must be AUDIT`);
  }
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-audit", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const svc = await startAuditService({
    nc,
    signer,
    log,
    headIntervalMs: cfg.headInterval,
    dedupeWindow: cfg.dedupeWindow,
    maxStepEvents: cfg.maxStepEvents,
    takeoverAfterMs: cfg.takeoverAfter,
  });
  log.info({ treeSize: svc.engine.stableSize, role: svc.engine.role, keyId: signer.keyId }, "audit ready");
  return {
    close: async () => {
      await svc.close();
      await nc.drain();
    },
  };
});
