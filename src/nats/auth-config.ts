// Generates the nats-server authorization block: one nkey user per access point and per hub
// service. A contact point may publish only to its own submit subject and its own store, read only
// its own inbox consumers, and receive replies only under its own inbox prefix; nobody but the
// administrator may delete, purge or restore a stream. (`liaison nats-config` and the dev stack.)
import { cpInboxPrefix, PRIORITY_TOKENS, subjects } from "./subjects.js";

export interface NkeyUser {
  readonly name: string;
  /** The nkey public key (starts with U). */
  readonly nkey: string;
}

export type HubRole = "admin" | "service" | "retention";

export interface AuthConfigInput {
  readonly contactPoints: ReadonlyArray<NkeyUser & { readonly cp: string }>;
  readonly hub: ReadonlyArray<NkeyUser & { readonly role: HubRole }>;
}

/** Stream operations no contact point and no ordinary hub service may perform. */
export const DESTRUCTIVE_JS_API = ["$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.RESTORE.>", "$JS.API.STREAM.MSG.DELETE.>"];

export interface Permissions {
  readonly publish: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  /** May answer requests on whatever reply subject they name (nats-server's allow_responses). */
  readonly allowResponses?: boolean;
}

/** What one contact point's access point may do on the hub's NATS. */
export function contactPointPermissions(cp: string): Permissions {
  const store = `AP_${cp}`;
  const inbox = (p: string) => `inbox-${cp}-${p}`;
  return {
    publish: {
      allow: [
        subjects.submitOf(cp),
        subjects.auditEvents(cp),
        subjects.apStoreOf(cp),
        subjects.api("registry", "list"),
        subjects.cpApiOf("records", cp),
        subjects.cpApiOf("files", cp),
        // Its own store: info, direct reads, ordered replay consumers.
        `$JS.API.STREAM.INFO.${store}`,
        `$JS.API.DIRECT.GET.${store}`,
        `$JS.API.DIRECT.GET.${store}.>`,
        `$JS.API.STREAM.MSG.GET.${store}`,
        `$JS.API.CONSUMER.CREATE.${store}`,
        `$JS.API.CONSUMER.CREATE.${store}.>`,
        `$JS.API.CONSUMER.DELETE.${store}.>`,
        `$JS.API.CONSUMER.INFO.${store}.>`,
        `$JS.API.CONSUMER.MSG.NEXT.${store}.>`,
        // Its own inbox consumers only: pull, inspect, acknowledge. (Wildcards match whole tokens
        // only, so each consumer is named.)
        ...PRIORITY_TOKENS.flatMap((p) => [
          `$JS.API.CONSUMER.INFO.INBOX.${inbox(p)}`,
          `$JS.API.CONSUMER.MSG.NEXT.INBOX.${inbox(p)}`,
          `$JS.ACK.INBOX.${inbox(p)}.>`,
        ]),
      ],
      deny: DESTRUCTIVE_JS_API,
    },
    subscribe: {
      allow: [`${cpInboxPrefix(cp)}.>`, subjects.live("registry")],
    },
  };
}

/** Streams whose messages no ordinary hub service may delete or purge. */
export const PROTECTED_STREAMS = ["AUDIT", "AUDIT_LEAVES", "AUDIT_HEADS", "KV_registry", "SUBMIT", "INBOX"];

/**
 * Hub services: the hub's subjects and JetStream, but no deleting or restoring of streams, and no
 * deleting from the protected ones. Data services may erase single messages elsewhere (data keys,
 * the due index); the retention service may also delete delivered messages from INBOX.
 */
export function hubPermissions(role: HubRole, contactPoints: readonly string[] = []): Permissions {
  if (role === "admin") return { publish: { allow: [">"] }, subscribe: { allow: [">"] } };
  const protectedHere = role === "retention" ? PROTECTED_STREAMS.filter((s) => s !== "INBOX") : PROTECTED_STREAMS;
  const deny = [
    "$JS.API.STREAM.DELETE.>",
    "$JS.API.STREAM.RESTORE.>",
    ...protectedHere.flatMap((s) => [`$JS.API.STREAM.PURGE.${s}`, `$JS.API.STREAM.MSG.DELETE.${s}`]),
    ...(role === "retention" ? ["$JS.API.STREAM.PURGE.INBOX"] : []),
  ];
  const allow = [subjects.all, "$JS.API.>", "$JS.ACK.>", "$KV.>", "$O.>", "$SRV.>", "_INBOX.>"];
  // Answers to contact points go to their inbox prefixes, named here. Not allow_responses: with it,
  // nats-server 2.9 remembers the reply subject of every message a service receives (each
  // JetStream delivery carries one) and prunes that list by walking it once it passes 4,096, so a
  // service reading a large stream slowed quadratically (records index at 50,000: 44.8 s, not 2.2 s).
  const replies = contactPoints.map((cp) => `${cpInboxPrefix(cp)}.>`);
  return { publish: { allow: [...allow, ...replies], deny }, subscribe: { allow } };
}

function list(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;
}

function permBlock(p: Permissions, indent: string): string {
  const side = (name: string, s: Permissions["publish"]) =>
    `${indent}  ${name}: {\n${indent}    allow: ${list(s.allow)}\n${s.deny?.length ? `${indent}    deny: ${list(s.deny)}\n` : ""}${indent}  }`;
  const responses = p.allowResponses ? `\n${indent}  allow_responses: true` : "";
  return `${indent}permissions: {\n${side("publish", p.publish)}\n${side("subscribe", p.subscribe)}${responses}\n${indent}}`;
}

/** The authorization block for nats-server.conf (include it, or paste it into the server config). */
export function natsAuthConfig(input: AuthConfigInput): string {
  const users: string[] = [];
  for (const h of input.hub) users.push(`    # hub: ${h.name} (${h.role})\n    {\n      nkey: ${h.nkey}\n${permBlock(hubPermissions(h.role, input.contactPoints.map((c) => c.cp)), "      ")}\n    }`);
  for (const c of input.contactPoints) {
    users.push(`    # contact point ${c.cp}: ${c.name}\n    {\n      nkey: ${c.nkey}\n${permBlock(contactPointPermissions(c.cp), "      ")}\n    }`);
  }
  return [
    "# Generated by `liaison nats-config` (src/nats/auth-config.ts). Least privilege per contact point:",
    "# each may submit only as itself, read only its own inbox, and no one but the admin may delete,",
    "# purge or restore a stream.",
    "authorization {",
    "  users: [",
    users.join(",\n"),
    "  ]",
    "}",
    "",
  ].join("\n");
}
