// `liaison tokens revoke <user>`: marks a user's token revoked in a users file. A running access
// point or console re-reads that file within LIAISON_USERS_RELOAD_INTERVAL (2 s by default), from
// then on refuses the token (LIAISON_TOKEN_REVOKED) and logs the revocation as an audit event.
import { join } from "node:path";
import type { Command } from "commander";
import { cliSchema, loadConfig } from "../../config/mod.js";
import { isContactPointCode } from "../../domain/mod.js";
import { LiaisonError } from "../../errors.js";
import { revokeUser } from "../../http/mod.js";
import { fail, printJson } from "../output.js";

interface RevokeOptions {
  usersFile?: string;
  ap?: string;
  console?: boolean;
  json?: boolean;
}

function usersFileOf(o: RevokeOptions): string {
  if (o.usersFile) return o.usersFile;
  const home = loadConfig("cli", cliSchema).home;
  if (o.console) return join(home, "console", "users.json");
  if (o.ap) {
    if (!isContactPointCode(o.ap)) throw new LiaisonError("LIAISON_VALIDATION", `${o.ap} is not a contact point code`);
    return join(home, "ap", o.ap, "users.json");
  }
  throw new LiaisonError("LIAISON_VALIDATION", "name the users file: --users-file <path>, --ap <CP> or --console");
}

export function register(program: Command): void {
  const tokens = program.command("tokens").description("bearer tokens of access point and console users");
  tokens
    .command("revoke <user>")
    .description("revoke a user's token; running servers refuse it within seconds, without a restart")
    .option("--users-file <path>", "the users file to change")
    .option("--ap <code>", "the local stack's access point of that contact point ($LIAISON_HOME/ap/<CP>/users.json)")
    .option("--console", "the local stack's console ($LIAISON_HOME/console/users.json)")
    .option("--json")
    .action((user: string, o: RevokeOptions) => {
      try {
        const file = usersFileOf(o);
        if (!revokeUser(file, user)) throw new LiaisonError("LIAISON_NOT_FOUND", `no user ${user} in ${file}`);
        if (o.json) printJson({ revoked: user, file });
        else process.stdout.write(`revoked the token of ${user} in ${file}; running servers refuse it within seconds\n`);
      } catch (err) {
        fail(err);
      }
    });
}
