// /v1/users: the access point's administrator manages its users (add, list, disable, issue a new
// token); its data-protection officer lists them. Every change is written atomically to the users
// file, takes effect at once here (and within seconds in any other process reading that file) and
// is an audit event naming the administrator who made it. Content is out of reach of both roles:
// over HTTP an administrator adds users and issues tokens only for roles without content (dpo,
// admin); an operator or reader is added and given a token on the access point's host with the CLI.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { disabledOut, issuedOut, tokenIn, userIn, userParamsIn, usersOut } from "../../../src/api/mod.js";
import { holdsContent, rolesWith, type Role } from "../../../src/domain/mod.js";
import { LiaisonError } from "../../../src/errors.js";
import { addUser, disableUser, issueToken, listUsers, parseValidity, problemResponses, readUsersFile, tokenRef, type UserStore } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";

export interface UserRoutesDeps {
  readonly cp: string;
  readonly users: UserStore;
  readonly now?: () => number;
}

const errors = problemResponses("LIAISON_VALIDATION", "LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN", "LIAISON_NOT_FOUND", "LIAISON_CONFLICT", "LIAISON_UNAVAILABLE");
const change = (objectType: string, objectParam?: string) => ({
  roles: rolesWith("users.manage"),
  audit: { action: pb.AuditAction.AUDIT_ACTION_CONFIG_CHANGE, objectType, ...(objectParam ? { objectParam } : {}) },
});

export async function userRoutes(app: FastifyInstance, d: UserRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const now = d.now ?? Date.now;
  const file = (): string => {
    if (!d.users.path) throw new LiaisonError("LIAISON_UNAVAILABLE", "this access point's users are not kept in a users file");
    return d.users.path;
  };
  /** An administrator never receives a token that reaches content (LIAISON_FORBIDDEN). */
  const noContent = (role: Role, id: string) => {
    if (holdsContent(role)) {
      throw new LiaisonError("LIAISON_FORBIDDEN", `${id} would hold the ${role} role, which reaches content: add the user and issue its tokens on the access point's host with \`liaison users add\` and \`liaison tokens issue\``);
    }
  };
  /** After a write: this process uses the new file now, not at its next poll. */
  const reload = () => {
    if (!d.users.reload()) throw new LiaisonError("LIAISON_UNAVAILABLE", "the users file was written but cannot be read back");
  };

  r.get(
    "/v1/users",
    {
      schema: { summary: "This access point's users: role, state, expiry (never a token)", tags: ["users"], response: { 200: usersOut, ...errors } },
      config: { roles: rolesWith("users.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "user-list" } },
    },
    async () => ({ users: listUsers(readUsersFile(file()), now()).map(({ cp: _cp, ...u }) => u) }),
  );

  r.post(
    "/v1/users",
    { schema: { summary: "Add a user with a first token (shown once)", tags: ["users"], body: userIn, response: { 201: issuedOut, ...errors } }, config: change("user") },
    async (req, reply) => {
      const b = req.body;
      req.audit.objectId = b.id;
      noContent(b.role, b.id);
      const issued = addUser(file(), { id: b.id, role: b.role, cp: d.cp, now: now(), ...(b.validFor ? { validForMs: parseValidity(b.validFor) } : {}) });
      reload();
      req.audit.details = { change: "added", role: b.role, expiresAt: issued.expiresAt, issuedToken: tokenRef(issued.token) };
      return reply.code(201).send({ id: issued.user.id, role: issued.user.role, token: issued.token, expiresAt: issued.expiresAt });
    },
  );

  r.post(
    "/v1/users/:id/tokens",
    {
      schema: { summary: "Issue a user a new token (shown once); their other tokens stay valid until they expire or are revoked", tags: ["users"], params: userParamsIn, body: tokenIn, response: { 201: issuedOut, ...errors } },
      config: change("token", "id"),
    },
    async (req, reply) => {
      const role = readUsersFile(file()).users.find((e) => e.id === req.params.id)?.role;
      if (!role) throw new LiaisonError("LIAISON_NOT_FOUND", `no user ${req.params.id}`);
      noContent(role, req.params.id);
      const issued = issueToken(file(), req.params.id, { now: now(), ...(req.body.validFor ? { validForMs: parseValidity(req.body.validFor) } : {}) });
      reload();
      req.audit.details = { change: "issued", expiresAt: issued.expiresAt, issuedToken: tokenRef(issued.token) };
      return reply.code(201).send({ id: issued.user.id, role: issued.user.role, token: issued.token, expiresAt: issued.expiresAt });
    },
  );

  r.post(
    "/v1/users/:id/disable",
    { schema: { summary: "Disable a user: none of their tokens is accepted from now on", tags: ["users"], params: userParamsIn, response: { 200: disabledOut, ...errors } }, config: change("user", "id") },
    async (req) => {
      if (req.params.id === req.user?.id) throw new LiaisonError("LIAISON_CONFLICT", "an administrator cannot disable themselves; another administrator or `liaison users disable` can");
      if (!disableUser(file(), req.params.id, new Date(now()))) throw new LiaisonError("LIAISON_NOT_FOUND", `no user ${req.params.id}`);
      reload();
      req.audit.details = { change: "disabled" };
      return { id: req.params.id, state: "disabled" as const };
    },
  );
}
