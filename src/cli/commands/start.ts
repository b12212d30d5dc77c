// `liaison start` (what `npm start` runs): the whole system on one machine.
import type { Command } from "commander";
import { loadConfig, stackSchema } from "../../config/mod.js";
import { createLogger } from "../../log/mod.js";
import { formatStackTable, startStack } from "../../stack/mod.js";
import { fail } from "../output.js";

export function register(program: Command): void {
  program
    .command("start")
    .description("start nats-server (unless NATS_URL is set), every hub service and the demo access points; Ctrl-C stops them")
    .action(async () => {
      const cfg = loadConfig("stack", stackSchema);
      const log = createLogger("stack", cfg.logLevel);
      let stack;
      try {
        stack = await startStack(cfg, log);
      } catch (err) {
        fail(err);
      }
      process.stdout.write(formatStackTable(stack.file) + "\n");
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`\n${signal}: stopping Liaison...\n`);
        stack.stop().then(
          () => {
            process.stdout.write("stopped.\n");
            process.exit(0);
          },
          (err: unknown) => fail(err),
        );
      };
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
    });
}
