// Runs once before every suite: makes sure the pinned nats-server is there (building it with
// scripts/install-nats.sh on a fresh machine, as `npm start` does) and tells the workers where.
// With NATS_URL set and no binary wanted, nothing is installed.
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
}
