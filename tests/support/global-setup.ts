// Runs once before every suite: makes sure the pinned nats-server is there (building it with
// scripts/install-nats.sh on a fresh machine, as `npm start` does) and tells the workers where;
// likewise the pinned API fuzzer (scripts/install-fuzz.sh) the fuzzing tests run.
// With NATS_URL set and no binary wanted, nothing is installed.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { resolveNatsServer } from "../../src/nats/mod.js";

export default function setup(): void {
  const bin = resolveNatsServer({
    bin: process.env.NATS_SERVER_BIN,
    tools: process.env.LIAISON_TOOLS,
    path: process.env.PATH,
    install: true,
    onInstall: (line) => process.stderr.write(`${line}\n`),
  });
  process.env.NATS_SERVER_BIN = bin;
  const tools = process.env.LIAISON_TOOLS ?? join(homedir(), ".cache", "liaison", "tools");
  if (!existsSync(join(tools, "bin", "schemathesis"))) {
    try {
      execFileSync("bash", [join(import.meta.dirname, "..", "..", "scripts", "install-fuzz.sh"), tools], { stdio: ["ignore", "ignore", "inherit"] });
    } catch {
      // Only the API fuzzing test needs it, and it fails saying how to install it; the rest runs.
      process.stderr.write("global setup: could not install schemathesis (bash scripts/install-fuzz.sh); the API fuzzing test will fail\n");
    }
  }
}
