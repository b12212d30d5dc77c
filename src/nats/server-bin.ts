// Which nats-server (and `nats` CLI) Liaison runs: the versions pinned in scripts/nats-versions.env,
// installed by scripts/install-nats.sh with `go install`. An older server is refused: Debian's
// 2.9.10 is unsupported, has open advisories and lacks `sync_interval`, accounts features and
// per-message TTL that Liaison relies on.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { LiaisonError } from "../errors.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
export const VERSIONS_FILE = join(ROOT, "scripts", "nats-versions.env");
export const INSTALL_SCRIPT = join(ROOT, "scripts", "install-nats.sh");

export interface PinnedVersions {
  /** e.g. "v2.15.3" */
  readonly server: string;
  readonly cli: string;
}

let pinned: PinnedVersions | undefined;

/** The versions named in scripts/nats-versions.env. */
export function pinnedVersions(): PinnedVersions {
  if (pinned) return pinned;
  const vars = new Map<string, string>();
  for (const line of readFileSync(VERSIONS_FILE, "utf8").split("\n")) {
    const m = /^\s*([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (m?.[1] && m[2]) vars.set(m[1], m[2]);
  }
  const server = vars.get("NATS_SERVER_VERSION");
  const cli = vars.get("NATS_CLI_VERSION");
  if (!server || !cli) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${VERSIONS_FILE} must name NATS_SERVER_VERSION and NATS_CLI_VERSION`);
  pinned = Object.freeze({ server, cli });
  return pinned;
}

/** Where scripts/install-nats.sh puts its binaries unless told otherwise (LIAISON_TOOLS). */
export const DEFAULT_TOOLS_DIR = join(homedir(), ".cache", "liaison", "tools");

export const pinnedServerPath = (tools: string) => join(tools, "nats-server", pinnedVersions().server, "nats-server");
export const pinnedCliPath = (tools: string) => join(tools, "natscli", pinnedVersions().cli, "nats");

export function installHint(): string {
  const v = pinnedVersions();
  return (
    `Liaison needs nats-server ${v.server} or later. Install the pinned one with \`bash scripts/install-nats.sh\` ` +
    `(go install github.com/nats-io/nats-server/v2@${v.server}; needs Go 1.24+), or set NATS_SERVER_BIN to a ` +
    `nats-server ${v.server} binary, or point NATS_URL at a running server of that version started with JetStream.`
  );
}

/** [major, minor, patch] of "v2.15.3" / "2.15.3" / "nats-server: v2.15.3"; undefined if none. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function versionAtLeast(have: readonly number[], want: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Refuses a running server (NATS_URL) older than the pinned version; `version` is from its INFO. */
export function assertServerVersion(version: string | undefined, where: string): void {
  const have = parseVersion(version ?? "");
  const want = parseVersion(pinnedVersions().server) as [number, number, number];
  if (!have || !versionAtLeast(have, want)) {
    throw new LiaisonError("LIAISON_NATS_UNAVAILABLE", `the nats-server at ${where} is ${version ?? "of unknown version"}, older than the supported ${pinnedVersions().server}. ${installHint()}`);
  }
}

const checked = new Map<string, string>();

/** Runs `<bin> --version`; throws LIAISON_NATS_UNAVAILABLE with the install hint if it is missing or older than pinned. */
export function checkServerVersion(bin: string): string {
  const known = checked.get(bin);
  if (known) return known;
  let out: string;
  try {
    out = execFileSync(bin, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LiaisonError("LIAISON_NATS_UNAVAILABLE", `${bin} ${code === "ENOENT" ? "was not found" : "did not run"}. ${installHint()}`, { cause: err });
  }
  const have = parseVersion(out);
  const want = parseVersion(pinnedVersions().server) as [number, number, number];
  if (!have || !versionAtLeast(have, want)) {
    throw new LiaisonError("LIAISON_NATS_UNAVAILABLE", `${bin} is ${out || "of unknown version"}, older than the supported ${pinnedVersions().server}. ${installHint()}`);
  }
  const version = `v${have.join(".")}`;
  checked.set(bin, version);
  return version;
}

function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export interface ResolveOptions {
  /** An explicit binary (NATS_SERVER_BIN): used as is, or refused if too old. */
  readonly bin?: string | undefined;
  /** The folder scripts/install-nats.sh installs into (LIAISON_TOOLS); DEFAULT_TOOLS_DIR when omitted. */
  readonly tools?: string | undefined;
  /** Build the pinned server with scripts/install-nats.sh when none is found (`npm start`, the test setup). */
  readonly install?: boolean;
  /** PATH to look for a `nats-server` on (the caller's environment); none when omitted. */
  readonly path?: string | undefined;
  /** Where the installer's progress goes (it prints the go install steps). */
  readonly onInstall?: (line: string) => void;
}

/**
 * The nats-server binary to run: an explicit one; else the pinned build under the tools folder;
 * else `nats-server` on PATH if it is recent enough; else (with `install`) the pinned one, built now.
 */
export function resolveNatsServer(o: ResolveOptions = {}): string {
  const tools = o.tools ?? DEFAULT_TOOLS_DIR;
  if (o.bin) {
    checkServerVersion(o.bin);
    return o.bin;
  }
  const pinnedPath = pinnedServerPath(tools);
  if (existsSync(pinnedPath)) {
    checkServerVersion(pinnedPath);
    return pinnedPath;
  }
  const path = onPath("nats-server", o.path);
  let refusal: unknown;
  if (path) {
    try {
      checkServerVersion(path);
      return path;
    } catch (err) {
      refusal = err;
    }
  }
  if (!o.install) {
    if (refusal) throw refusal;
    throw new LiaisonError("LIAISON_NATS_UNAVAILABLE", `no nats-server found. ${installHint()}`);
  }
  o.onInstall?.(`installing nats-server ${pinnedVersions().server} with scripts/install-nats.sh (go install)`);
  try {
    execFileSync("bash", [INSTALL_SCRIPT, tools], { stdio: ["ignore", "pipe", "inherit"] });
  } catch (err) {
    throw new LiaisonError("LIAISON_NATS_UNAVAILABLE", `scripts/install-nats.sh failed. ${installHint()}`, { cause: err });
  }
  checkServerVersion(pinnedPath);
  return pinnedPath;
}

/** The pinned `nats` CLI, if installed (scripts/install-nats.sh). */
export function resolveNatsCli(tools: string = DEFAULT_TOOLS_DIR): string | undefined {
  const p = pinnedCliPath(tools);
  return existsSync(p) ? p : undefined;
}
