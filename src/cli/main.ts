// The `liaison` command: start the stack, manage keys, send and read messages, verify the audit log.
import { Command } from "commander";
import { LIAISON_VERSION } from "../version.js";
import { COMMANDS } from "./commands/index.js";
import { fail } from "./output.js";

const program = new Command()
  .name("liaison")
  .description("Liaison: secure information exchange for customs mutual assistance (CIS, FIDE, Naples II)")
  .version(LIAISON_VERSION)
  .showHelpAfterError();
for (const register of COMMANDS) register(program);

program.parseAsync(process.argv).catch(fail);
