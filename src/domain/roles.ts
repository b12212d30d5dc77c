// Who may do what: each role and the actions it is permitted, as data. Routes admit the roles this
// table gives an action (rolesWith), so a role's powers are read here and nowhere else. Access
// point roles follow the CIS/SIS practice of individual, role-bound access (Decision 2009/917/JHA
// Art. 7 and 15; the SIS recast's per-user logging): an operator does the mutual-assistance work,
// a reader only reads, the national data-protection officer checks who used the access point, an
// administrator manages its users. Neither the officer nor the administrator sees content.

/** The actions a route can ask for. */
export const PERMISSIONS = [
  "messages.read",
  "messages.send",
  "records.read",
  "records.write",
  "files.read",
  "files.write",
  "registry.read",
  "users.read",
  "users.manage",
  "audit.read",
  "holds.supervise",
  "operations.read",
  "jco.read",
  "jco.write",
  "push.read",
  "push.replay",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Roles of an access point's users (their contact point's users file). */
export const ACCESS_POINT_ROLES = ["operator", "reader", "dpo", "admin"] as const;
/** Roles of the hub console's users. */
export const CONSOLE_ROLES = ["supervisor", "operations"] as const;
export const ROLES = [...ACCESS_POINT_ROLES, ...CONSOLE_ROLES] as const;
export type Role = (typeof ROLES)[number];
export type AccessPointRole = (typeof ACCESS_POINT_ROLES)[number];

/**
 * The rules. `records.write` and `files.write` cover submitting, querying, amending, renewing,
 * erasing, holds and hit outcomes: everything but reading one's own. `jco.*` are joint customs
 * operations and their calendar (`operations.read` is the hub operations team's monitoring). The data-protection officer
 * reads the list of users (who holds access, with which role, until when); setting a legal hold is
 * not among its powers (the Council papers give the national supervisory authority oversight of
 * processing, not the handling of the data), so a hold stays an operator's act.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  operator: ["messages.read", "messages.send", "records.read", "records.write", "files.read", "files.write", "registry.read", "jco.read", "jco.write", "push.read", "push.replay"],
  reader: ["messages.read", "records.read", "files.read", "registry.read", "jco.read", "push.read"],
  dpo: ["users.read"],
  admin: ["users.read", "users.manage"],
  supervisor: ["audit.read", "holds.supervise"],
  operations: ["operations.read"],
};

/** The actions that reach content: messages, records, FIDE files, joint customs operations. */
export const CONTENT_PERMISSIONS: readonly Permission[] = ["messages.read", "messages.send", "records.read", "records.write", "files.read", "files.write", "jco.read", "jco.write"];

/**
 * A role that reaches content (operator, reader). Its users are added and given tokens only on the
 * access point's host (`liaison users add`, `liaison tokens issue`), never in an HTTP answer to an
 * administrator, who would otherwise hold a working token for content it may not see.
 */
export const holdsContent = (role: Role): boolean => ROLE_PERMISSIONS[role].some((p) => CONTENT_PERMISSIONS.includes(p));

/** A user id: 1 to 64 letters, digits, '.', '-' and '_', starting with a letter or digit. */
export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const isUserId = (s: string): boolean => USER_ID_PATTERN.test(s);

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);
export const isAccessPointRole = (s: string): s is AccessPointRole => (ACCESS_POINT_ROLES as readonly string[]).includes(s);

export const may = (role: Role, permission: Permission): boolean => ROLE_PERMISSIONS[role].includes(permission);

/** The roles permitted `permission`, for a route's `config.roles`. */
export const rolesWith = (permission: Permission): readonly Role[] => ROLES.filter((r) => may(r, permission));
