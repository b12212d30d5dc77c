// /v1/users (access point): its administrator's user management. A user is listed with role,
// state and expiry, never with a token or a token's hash; a token is shown once, in the answer
// that issued it.
import { z } from "zod";
import { ACCESS_POINT_ROLES, USER_ID_PATTERN } from "../domain/mod.js";
import { isoTime } from "./common.js";

/** A user id: 1 to 64 letters, digits, '.', '-' and '_', starting with a letter or digit. */
export const userId = z.string().regex(USER_ID_PATTERN);
/** How long a token is valid, as a period ("12h", "30d", "2w"); at most a year. */
export const validFor = z.string().regex(/^\d{1,4}(ms|s|m|h|d|w)$/).describe('How long the token is valid: "12h", "30d", "2w" (30 days when omitted; a year at most)');

export const userParamsIn = z.object({ id: userId });
export const userIn = z.object({ id: userId, role: z.enum(ACCESS_POINT_ROLES), validFor: validFor.optional() });
export const tokenIn = z.object({ validFor: validFor.optional() });

export const userOut = z.object({
  id: z.string(),
  role: z.string(),
  state: z.enum(["active", "expired", "revoked", "disabled"]),
  expiresAt: isoTime,
  activeTokens: z.number().int(),
  disabledAt: isoTime.optional(),
});
export const usersOut = z.object({ users: z.array(userOut) });
/** The answer that issues a token: the only place it ever appears. */
export const issuedOut = z.object({ id: z.string(), role: z.string(), token: z.string(), expiresAt: isoTime });
export const disabledOut = z.object({ id: z.string(), state: z.literal("disabled") });

export type UserIn = z.infer<typeof userIn>;
export type UserOut = z.infer<typeof userOut>;
export type UsersOut = z.infer<typeof usersOut>;
export type IssuedOut = z.infer<typeof issuedOut>;
