// A throwaway PKI for tests that run the production TLS configuration: a CA, and certificates it
// signs for 127.0.0.1 (openssl, as deploy/ expects PEM files).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestPki {
  readonly ca: string;
  /** Certificate and key files for a name, made on first ask. */
  pair(name: string): { cert: string; key: string };
}

export function makeTestPki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true });
  const ssl = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  const ca = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  ssl(["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj", "/CN=liaison-test-ca", "-keyout", caKey, "-out", ca]);
  const ext = join(dir, "san.ext");
  writeFileSync(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const made = new Map<string, { cert: string; key: string }>();
  return {
    ca,
    pair: (name) => {
      const known = made.get(name);
      if (known) return known;
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.crt`);
      ssl(["req", "-newkey", "ed25519", "-nodes", "-subj", `/CN=${name}`, "-keyout", key, "-out", csr]);
      ssl(["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", cert]);
      made.set(name, { cert, key });
      return { cert, key };
    },
  };
}
