// `liaison status [id]`: with an id, where that message is; without, the system's health.
import type { Command } from "commander";
import { fail } from "../output.js";
import { messageStatus } from "./messages.js";

export function register(program: Command): void {
  program
    .command("status [id]")
    .description("a message's status per recipient (with an id)")
    .option("--ap <cp>")
    .option("--url <url>")
    .option("--token <token>")
    .option("--json")
    .action(async (id: string | undefined, o: { ap?: string; url?: string; token?: string; json?: boolean }) => {
      try {
        if (!id) throw new Error("give a message id (system status arrives with the operations console)");
        await messageStatus(id, o);
      } catch (err) {
        fail(err);
      }
    });
}
