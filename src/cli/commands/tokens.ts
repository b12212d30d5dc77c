// `liaison tokens issue|revoke <user>`: a new expiring token for a user, or every token of a user
// revoked, in a users file. A running access point or console re-reads that file within
// LIAISON_USERS_RELOAD_INTERVAL (2 s by default): a new token is accepted from then on, a revoked
// one refused (LIAISON_TOKEN_REVOKED) and its revocation logged as an audit event.
import { join } from "node:path";
import type { Command } from "commander";
import { cliSchema, loadConfig } from "../../config/mod.js";
import { isContactPointCode } from "../../domain/mod.js";
import { LiaisonError } from "../../errors.js";
import { issueToken, parseValidity, revokeUser } from "../../http/mod.js";
import { answer } from "../output.js";

export interface UsersFileOptions {
  usersFile?: string;
  cp?: string;
  ap?: string;
  console?: boolean;
}

interface RevokeOptions extends UsersFileOptions {
  json?: boolean;
}

interface IssueOptions extends UsersFileOptions {
  validFor?: string;
  json?: boolean;
}

/** The users file named by --users-file, --cp (or --ap) or --console. */
export function usersFileOf(o: UsersFileOptions): string {
  if (o.usersFile) return o.usersFile;
  const home = loadConfig("cli", cliSchema).home;
  if (o.console) return join(home, "console", "users.json");
  const cp = o.cp ?? o.ap;
  if (cp) {
    if (!isContactPointCode(cp)) throw new LiaisonError("LIAISON_VALIDATION", `${cp} is not a contact point code`);
    return join(home, "ap", cp, "users.json");
  }
  throw new LiaisonError("LIAISON_VALIDATION", "name the users file: --users-file <path>, --cp <CP> or --console");
}

/** The options that name a users file, on a command. */
export function usersFileOptions(c: Command): Command {
  return c
    .option("--users-file <path>", "the users file to change")
    .option("--cp <code>", "the local stack's access point of that contact point ($LIAISON_HOME/ap/<CP>/users.json)")
    .option("--ap <code>", "the same as --cp")
    .option("--console", "the local stack's console ($LIAISON_HOME/console/users.json)");
}

/** Issues the user a new token in the users file the options name. */
function issue(user: string, o: IssueOptions) {
  const file = usersFileOf(o);
  const issued = issueToken(file, user, o.validFor ? { validForMs: parseValidity(o.validFor) } : {});
  return { user: issued.user.id, role: issued.user.role, token: issued.token, expiresAt: issued.expiresAt, file };
}

/** Makes a change to a user in the users file the options name, refusing a user not there; the file's path. */
export function changeUser(o: UsersFileOptions, user: string, change: (file: string, user: string) => boolean): string {
  const file = usersFileOf(o);
  if (!change(file, user)) throw new LiaisonError("LIAISON_NOT_FOUND", `no user ${user} in ${file}`);
  return file;
}

export function register(program: Command): void {
  const tokens = program.command("tokens").description("bearer tokens of access point and console users");
  usersFileOptions(tokens.command("issue <user>").description("issue an existing user a new token, printed once; their other tokens stay valid until they expire or are revoked"))
    .option("--valid-for <period>", "how long the token is valid: 12h, 30d, 2w (30 days by default, a year at most)")
    .option("--json")
    .action((user: string, o: IssueOptions) => answer(o, () => issue(user, o), (r) => process.stdout.write(`token of ${user} (${r.role}), valid until ${r.expiresAt}; it is shown this once:\n${r.token}\n`)));
  usersFileOptions(tokens.command("revoke <user>").description("revoke every token of a user; running servers refuse them within seconds, without a restart"))
    .option("--json")
    .action((user: string, o: RevokeOptions) => answer(o, () => ({ revoked: user, file: changeUser(o, user, revokeUser) }), (r) => process.stdout.write(`revoked the token of ${user} in ${r.file}; running servers refuse it within seconds\n`)));
}
