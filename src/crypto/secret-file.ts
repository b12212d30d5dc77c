// Files that hold secrets (private keys, nkey seeds, hub key material): written 0600, and refused
// on read when group or others could read them, as ssh refuses a private key.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { LiaisonError } from "../errors.js";

export function readSecretFile(path: string): Uint8Array {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `cannot read secret file ${path}`, { cause: err });
  }
  if ((mode & 0o077) !== 0) {
    throw new LiaisonError(
      "LIAISON_CONFIG_INVALID",
      `secret file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  }
  return new Uint8Array(readFileSync(path));
}

/** Writes a secret file with mode 0600; refuses to replace one unless told to. */
export function writeSecretFile(path: string, data: string | Uint8Array, opts: { overwrite?: boolean } = {}): void {
  if (!opts.overwrite && existsSync(path)) {
    throw new LiaisonError("LIAISON_CONFLICT", `${path} already exists; refusing to overwrite a key file`);
  }
  writeFileSync(path, data, { mode: 0o600, flag: opts.overwrite ? "w" : "wx" });
  chmodSync(path, 0o600);
}
