// `liaison users add|list|disable`: the users of an access point (or of the console) in its users
// file, written atomically; a running server takes a change in within seconds. A new user's token
// is printed once and kept nowhere but as a hash; a listing shows role, state and expiry only.
import type { Command } from "commander";
import { isAccessPointRole, isRole, type Role } from "../../domain/mod.js";
import { LiaisonError } from "../../errors.js";
import { addUser, disableUser, listUsers, parseValidity, readUsersFile } from "../../http/mod.js";
import { answer, printTable } from "../output.js";
import { changeUser, usersFileOf, usersFileOptions, type UsersFileOptions } from "./tokens.js";

interface AddOptions extends UsersFileOptions {
  role: string;
  validFor?: string;
  json?: boolean;
}

type JsonOption = UsersFileOptions & { json?: boolean };

function roleFor(o: AddOptions): Role {
  if (!isRole(o.role)) throw new LiaisonError("LIAISON_VALIDATION", `${o.role} is not a role`);
  const cp = o.cp ?? o.ap;
  // An access point's users hold access-point roles; the console's, console roles.
  if (cp && !isAccessPointRole(o.role)) throw new LiaisonError("LIAISON_VALIDATION", `${o.role} is not a role at an access point (operator, reader, dpo, admin)`);
  if (o.console && isAccessPointRole(o.role)) throw new LiaisonError("LIAISON_VALIDATION", `${o.role} is not a console role (supervisor, operations)`);
  return o.role;
}

/** Adds the user, with a first token, to the users file the options name. */
function add(id: string, o: AddOptions) {
  const role = roleFor(o);
  const file = usersFileOf(o);
  const cp = o.cp ?? o.ap;
  const issued = addUser(file, { id, role, ...(cp ? { cp } : {}), ...(o.validFor ? { validForMs: parseValidity(o.validFor) } : {}) });
  return { user: id, role, token: issued.token, expiresAt: issued.expiresAt, file };
}

export function register(program: Command): void {
  const users = program.command("users").description("users of an access point or of the console: add, list, disable");
  usersFileOptions(users.command("add <id>").description("add a user with a role and a first token, printed once"))
    .requiredOption("--role <role>", "operator, reader, dpo or admin at an access point; supervisor or operations at the console")
    .option("--valid-for <period>", "how long the token is valid: 12h, 30d, 2w (30 days by default, a year at most)")
    .option("--json")
    .action((id: string, o: AddOptions) => answer(o, () => add(id, o), (r) => process.stdout.write(`added ${id} (${r.role}), token valid until ${r.expiresAt}; it is shown this once:\n${r.token}\n`)));
  usersFileOptions(users.command("list").description("every user with role, state and expiry (never a token)"))
    .option("--json")
    .action((o: JsonOption) => answer(o, () => listUsers(readUsersFile(usersFileOf(o))), (list) => printTable(list, ["id", "role", "state", "expiresAt", "activeTokens"]), (list) => ({ users: list })));
  usersFileOptions(users.command("disable <id>").description("disable a user: none of their tokens is accepted, and none is issued, from then on"))
    .option("--json")
    .action((id: string, o: JsonOption) => answer(o, () => ({ disabled: id, file: changeUser(o, id, disableUser) }), (r) => process.stdout.write(`disabled ${id} in ${r.file}; running servers refuse their tokens within seconds\n`)));
}
