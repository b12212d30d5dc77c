// nkey users for NATS authentication: a seed file per identity (0600), its public key in the
// server's authorization block.
import { existsSync } from "node:fs";
import { createUser, fromSeed } from "@nats-io/nkeys";
import { readSecretFile, writeSecretFile } from "../crypto/mod.js";

/** Returns the public key of the nkey user whose seed is at `path`, creating the seed if missing. */
export function ensureNkeySeed(path: string): string {
  if (existsSync(path)) {
    const seed = new TextDecoder().decode(readSecretFile(path)).trim();
    return fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  }
  const kp = createUser();
  writeSecretFile(path, new TextDecoder().decode(kp.getSeed()) + "\n");
  return kp.getPublicKey();
}
