// `liaison users add|list|disable`: the users of an access point (or of the console) in its users
// file, written atomically; a running server takes a change in within seconds. A new user's token
// is printed once and kept nowhere but as a hash; a listing shows role, state and expiry only.
import type { Command } from "commander";
import { isAccessPointRole, isRole, type Role } from "../../domain/mod.js";
import { LiaisonError } from "../../errors.js";
import { addUser, disableUser, listUsers, parseValidity, readUsersFile } from "../../http/mod.js";
import { fail, printJson, printTable } from "../output.js";
import { usersFileOf, usersFileOptions, type UsersFileOptions } from "./tokens.js";

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

export function register(program: Command): void {
  const users = program.command("users").description("users of an access point or of the console: add, list, disable");
  usersFileOptions(users.command("add <id>").description("add a user with a role and a first token, printed once"))
    .requiredOption("--role <role>", "operator, reader, dpo or admin at an access point; supervisor or operations at the console")
    .option("--valid-for <period>", "how long the token is valid: 12h, 30d, 2w (30 days by default, a year at most)")
    .option("--json")
    .action((id: string, o: AddOptions) => {
      try {
        const role = roleFor(o);
        const file = usersFileOf(o);
        const cp = o.cp ?? o.ap;
        const issued = addUser(file, { id, role, ...(cp ? { cp } : {}), ...(o.validFor ? { validForMs: parseValidity(o.validFor) } : {}) });
        if (o.json) printJson({ user: id, role, token: issued.token, expiresAt: issued.expiresAt, file });
        else process.stdout.write(`added ${id} (${role}), token valid until ${issued.expiresAt}; it is shown this once:\n${issued.token}\n`);
      } catch (err) {
        fail(err);
      }
    });
  usersFileOptions(users.command("list").description("every user with role, state and expiry (never a token)"))
    .option("--json")
    .action((o: JsonOption) => {
      try {
        const list = listUsers(readUsersFile(usersFileOf(o)));
        if (o.json) printJson({ users: list });
        else printTable(list, ["id", "role", "state", "expiresAt", "activeTokens"]);
      } catch (err) {
        fail(err);
      }
    });
  usersFileOptions(users.command("disable <id>").description("disable a user: none of their tokens is accepted, and none is issued, from then on"))
    .option("--json")
    .action((id: string, o: JsonOption) => {
      try {
        const file = usersFileOf(o);
        if (!disableUser(file, id)) throw new LiaisonError("LIAISON_NOT_FOUND", `no user ${id} in ${file}`);
        if (o.json) printJson({ disabled: id, file });
        else process.stdout.write(`disabled ${id} in ${file}; running servers refuse their tokens within seconds\n`);
      } catch (err) {
        fail(err);
      }
    });
}
