// The nats-server accounts of a Liaison hub (configuration accounts, not the operator/JWT model:
// see docs/nats.md). The HUB account holds every stream, bucket and service; each contact point
// has an account of its own with its own JetStream limits, holding its access point's store; SYS
// is the server's. Only exports and imports cross, so a member reaches exactly this:
//   - publish its own submissions (liaison.v1.submit.<CP>.urgent|normal) and audit events,
//   - call the registry and its own records, files and operations endpoints (liaison.v1.<svc>.<CP>.>),
//   - pull and acknowledge its own inbox consumers (the hub's JetStream API for those two
//     consumers, imported under subjects.hubJsApi so its own JetStream keeps $JS.API),
//   - hear registry changes.
// Every answer to a member (JetStream acks, service replies) goes back through the import into the
// member's account: a reply subject it names can only land there.
import { PRIORITY_TOKENS, subjects } from "./subjects.js";
import { HUB_ROLES, hubPermissions, type HubRole, type Permissions } from "./permissions.js";
import { inboxConsumer, largeFileStore, STREAMS } from "./streams.js";

export const HUB_ACCOUNT = "HUB";
export const SYS_ACCOUNT = "SYS";

/** Account names nats-server or Liaison reserve; no contact point may be called so. */
const RESERVED = new Set([HUB_ACCOUNT, SYS_ACCOUNT, "$G", "$SYS"]);

export interface NkeyUser {
  readonly name: string;
  /** The nkey public key (starts with U). */
  readonly nkey: string;
}

/** JetStream limits of one account (nats-server sizes: "10G", "64M"). */
export interface AccountLimits {
  readonly maxFile: string;
  readonly maxMem: string;
  readonly maxStreams: number;
  readonly maxConsumers: number;
}

/** A member's own store is small: sealed copies of its traffic. It cannot grow into the hub's disk. */
export const DEFAULT_MEMBER_LIMITS: AccountLimits = Object.freeze({ maxFile: "1G", maxMem: "8M", maxStreams: 4, maxConsumers: 32 });

/**
 * A contact point's identities at the hub: its access point's nkey user (when the access point
 * connects to the hub directly; its store then lives in its hub account, within `limits`), and/or
 * the nkey its own leaf-node server logs in with (its store then lives on its leaf, and its hub
 * account has no JetStream at all).
 */
export interface MemberInput {
  readonly cp: string;
  readonly name: string;
  readonly nkey?: string;
  readonly leafNkey?: string;
  readonly limits?: AccountLimits;
}

export interface AccountsInput {
  readonly hub: ReadonlyArray<NkeyUser & { readonly role: HubRole }>;
  readonly contactPoints: readonly MemberInput[];
  /** The server's system account user (`nats server ...`); omitted: no SYS user. */
  readonly system?: NkeyUser;
}

/** How a member's account reaches one of the hub's exports. */
export interface MemberImport {
  readonly kind: "service" | "stream";
  /** The subject in the HUB account. */
  readonly subject: string;
  /** The subject in the member's account, when it differs (the hub's JetStream API). */
  readonly to?: string;
  /** A pull request's answer is many messages; the mapping must outlive a 30 s pull with heartbeats. */
  readonly stream?: boolean;
}

/** The hub's JetStream API subject a member imports for one of its inbox consumers, and its local name. */
function hubJs(op: "CONSUMER.INFO" | "CONSUMER.MSG.NEXT", durable: string): { subject: string; to: string } {
  return { subject: `$JS.API.${op}.${STREAMS.INBOX.name}.${durable}`, to: `${subjects.hubJsApi}.${op}.${STREAMS.INBOX.name}.${durable}` };
}

/**
 * Everything one member's account imports from HUB: the whole of what it may do at the hub.
 * `peers`: the other members, into whose large-file stores it may write (never read) the sealed
 * chunks of files it sends them; it reads only its own, by direct get (docs/large-files.md).
 */
export function memberImports(cp: string, peers: readonly string[] = []): MemberImport[] {
  const out: MemberImport[] = [
    ...PRIORITY_TOKENS.map((p) => ({ kind: "service" as const, subject: subjects.submit(cp, p) })),
    { kind: "service", subject: subjects.auditEvents(cp) },
    { kind: "service", subject: subjects.api("registry", "list") },
    { kind: "service", subject: subjects.cpApiOf("records", cp) },
    { kind: "service", subject: subjects.cpApiOf("files", cp) },
    { kind: "service", subject: subjects.cpApiOf("operations", cp) },
    { kind: "stream", subject: subjects.live("registry") },
  ];
  for (const p of PRIORITY_TOKENS) {
    const durable = inboxConsumer(cp, p).config.durable_name;
    out.push({ kind: "service", ...hubJs("CONSUMER.INFO", durable) });
    out.push({ kind: "service", ...hubJs("CONSUMER.MSG.NEXT", durable), stream: true });
    // Deliveries carry the ack subject as their reply; it keeps its name in the member's account.
    out.push({ kind: "service", subject: `$JS.ACK.${STREAMS.INBOX.name}.${durable}.>` });
  }
  const own = largeFileStore(cp).bucket;
  out.push({ kind: "service", subject: `$JS.API.DIRECT.GET.OBJ_${own}`, to: `${subjects.hubJsApi}.DIRECT.GET.OBJ_${own}` });
  for (const p of peers) {
    if (p === cp) continue;
    const b = largeFileStore(p).bucket;
    out.push({ kind: "service", subject: `$O.${b}.C.>` }, { kind: "service", subject: `$O.${b}.M.>` });
  }
  return out;
}

function accountName(cp: string): string {
  if (RESERVED.has(cp)) throw new TypeError(`${cp} is reserved and cannot name a contact point's account`);
  return cp;
}

const q = (s: string) => JSON.stringify(s);
/** Users of the hub log in as clients only; a member's leaf user only as a leaf connection. */
const STANDARD = `["STANDARD"]`;
const list = (items: readonly string[]) => `[${items.map(q).join(", ")}]`;

function permBlock(p: Permissions, indent: string): string {
  const side = (name: string, s: Permissions["publish"]) =>
    `${indent}  ${name}: {\n${indent}    allow: ${list(s.allow)}\n${s.deny?.length ? `${indent}    deny: ${list(s.deny)}\n` : ""}${indent}  }`;
  return `${indent}permissions: {\n${side("publish", p.publish)}\n${side("subscribe", p.subscribe)}\n${indent}}`;
}

function limitsBlock(l: AccountLimits | "enabled", indent: string): string {
  if (l === "enabled") return `${indent}jetstream: enabled`;
  return `${indent}jetstream: { max_file: ${l.maxFile}, max_mem: ${l.maxMem}, max_streams: ${l.maxStreams}, max_consumers: ${l.maxConsumers} }`;
}

/** The `accounts { ... }` and `system_account` blocks of nats-server.conf for this hub and these members. */
export function natsAccountsConfig(input: AccountsInput): string {
  const cps = input.contactPoints.map((c) => ({ ...c, account: accountName(c.cp) }));
  const peers = cps.map((c) => c.cp);
  const hubUsers = [...input.hub]
    .sort((a, b) => HUB_ROLES.indexOf(a.role) - HUB_ROLES.indexOf(b.role))
    .map((h) => {
      const p = hubPermissions(h.role);
      return `      # ${h.name} (${h.role})\n      {\n        nkey: ${h.nkey}\n        allowed_connection_types: ${STANDARD}\n${p ? permBlock(p, "        ") + "\n" : ""}      }`;
    });
  // One export per subject, listing the members that may import it.
  const exports = new Map<string, { kind: "service" | "stream"; stream: boolean; accounts: string[] }>();
  for (const c of cps) {
    for (const i of memberImports(c.cp, peers)) {
      const e = exports.get(i.subject) ?? { kind: i.kind, stream: i.stream === true, accounts: [] };
      e.accounts.push(c.account);
      exports.set(i.subject, e);
    }
  }
  const exportLines = [...exports].map(([subject, e]) => {
    const extra = e.stream ? `, response_type: stream, response_threshold: "2m"` : "";
    return `      { ${e.kind}: ${q(subject)}, accounts: ${list(e.accounts)}${extra} }`;
  });
  const members = cps.map((c) => {
    if (!c.nkey && !c.leafNkey) throw new TypeError(`contact point ${c.cp} needs an access point or a leaf-node nkey`);
    const imports = memberImports(c.cp, peers).map((i) => `      { ${i.kind}: { account: ${HUB_ACCOUNT}, subject: ${q(i.subject)} }${i.to ? `, to: ${q(i.to)}` : ""} }`);
    return [
      c.nkey
        ? `  # contact point ${c.cp}: its access point's store and nothing of anyone else's`
        : `  # contact point ${c.cp}: reached through its own leaf node (deploy/nats/leafnode-cp.conf), which holds its store`,
      `  ${c.account}: {`,
      ...(c.nkey ? [limitsBlock(c.limits ?? DEFAULT_MEMBER_LIMITS, "    ")] : []),
      `    users: [`,
      ...(c.nkey ? [`      # ${c.name}`, `      { nkey: ${c.nkey}, allowed_connection_types: ${STANDARD} }`] : []),
      ...(c.leafNkey ? [`      # ${c.cp}'s leaf-node server: only as a leaf connection, bound to this account`, `      { nkey: ${c.leafNkey}, allowed_connection_types: ["LEAFNODE"] }`] : []),
      `    ]`,
      `    imports: [`,
      imports.join("\n"),
      `    ]`,
      `  }`,
    ].join("\n");
  });
  return [
    "# Generated by `liaison nats-config` (src/nats/accounts.ts). Accounts are the trust boundary: the",
    "# hub's streams and services live in HUB; each contact point has its own account and reaches the",
    "# hub only through the imports listed under it.",
    `system_account: ${SYS_ACCOUNT}`,
    "accounts {",
    `  ${SYS_ACCOUNT}: {`,
    `    users: [${input.system ? `\n      # ${input.system.name}\n      { nkey: ${input.system.nkey}, allowed_connection_types: ${STANDARD} }\n    ` : ""}]`,
    "  }",
    `  ${HUB_ACCOUNT}: {`,
    limitsBlock("enabled", "    "),
    "    users: [",
    hubUsers.join("\n"),
    "    ]",
    "    exports: [",
    exportLines.join("\n"),
    "    ]",
    "  }",
    ...members,
    "}",
    "",
  ].join("\n");
}
