// `liaison audit`: the supervisor's tools for the access log. `verify` checks an export offline
// (RFC 9162 tree, Ed25519 head signature, consistency with a kept head) using nothing but the file
// and the audit public key; `export`, `head` and `key` fetch them from the console's HTTP API.
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Command } from "commander";
import { parseAuditPublicKey, verifyExportFile, type VerifyResult } from "../../audit/mod.js";
import { cliSchema, loadConfig } from "../../config/mod.js";
import { hex } from "../../crypto/mod.js";
import { LiaisonError, isErrorCode } from "../../errors.js";
import { readStackFile } from "../../stack/mod.js";
import { fail, printJson } from "../output.js";

interface ConsoleOptions {
  url?: string;
  token?: string;
}

/** The console and a supervisor token: flags, then LIAISON_URL/LIAISON_TOKEN, then the local stack. */
function consoleTarget(o: ConsoleOptions): { url: string; token: string } {
  const cfg = loadConfig("cli", cliSchema);
  const url = o.url ?? cfg.url;
  const token = o.token ?? cfg.token;
  if (url && token) return { url: url.replace(/\/$/, ""), token };
  const stack = readStackFile(cfg.home);
  if (!stack.console) throw new LiaisonError("LIAISON_NOT_FOUND", "the running stack has no console; pass --url and --token (or LIAISON_URL, LIAISON_TOKEN)");
  return { url: (url ?? stack.console.url).replace(/\/$/, ""), token: token ?? stack.console.supervisorToken };
}

async function get(target: { url: string; token: string }, path: string, method = "GET"): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, { method, headers: { authorization: `Bearer ${target.token}` } });
  } catch (err) {
    throw new LiaisonError("LIAISON_UNAVAILABLE", `cannot reach the console at ${target.url}`, { cause: err });
  }
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
    const code = problem.code && isErrorCode(problem.code) ? problem.code : "LIAISON_INTERNAL";
    throw new LiaisonError(code, problem.detail ?? `${method} ${path}: HTTP ${res.status}`);
  }
  return res;
}

function describeResult(r: VerifyResult, file: string): string {
  const lines: string[] = [];
  if (r.ok && r.head) {
    const n = r.to - r.from;
    lines.push(`verified: ${file}`);
    lines.push(`  leaves ${n === 0 ? "none" : `${r.from}..${r.to - 1} (${n})`} of the tree of ${r.head.treeSize} leaves`);
    lines.push(`  root ${hex(r.head.rootHash)}`);
    lines.push(`  signed by ${r.head.keyId} at ${new Date(r.head.timestampMs).toISOString()}`);
    if (r.expired > 0) lines.push(`  ${r.expired} leaves had aged out: their stored hashes verified, their content is gone`);
    if (r.consistentWith !== undefined) lines.push(`  consistent with the trusted head of ${r.consistentWith} leaves`);
    return lines.join("\n");
  }
  const first = r.firstBad;
  if (first?.index !== undefined) {
    const where = first.range ? `${first.index} (within ${first.range[0]}..${first.range[1] - 1})` : String(first.index);
    lines.push(`FAILED: first bad index ${where}: ${first.kind}${first.authenticated === false ? " (not authenticated)" : ""}`);
  } else lines.push(`FAILED: ${first?.kind ?? "unknown"}`);
  for (const f of r.faults.slice(0, 20)) lines.push(`  - ${f.kind}${f.index !== undefined ? ` at ${f.index}` : ""}: ${f.message}`);
  if (r.faults.length > 20) lines.push(`  ... and ${r.faults.length - 20} more`);
  return lines.join("\n");
}

export function register(program: Command): void {
  const audit = program.command("audit").description("the supervisor's tools for the access log: verify exports offline, fetch exports, heads and the key");

  audit
    .command("verify <export>")
    .description("check an export offline: every leaf, the root, the head's signature, and consistency with a head you kept; exits 1 naming the first bad index")
    .requiredOption("--key <file|base64>", "the audit public key: a file from `liaison audit key --out`, or the key in base64")
    .option("--trusted-head <file>", "a head you kept earlier (`liaison audit head --out`), or an earlier export")
    .option("--allow-expired", "accept leaves whose events aged out of the log (their stored hashes are still checked)")
    .option("--json", "print the result as JSON")
    .action(async (file: string, o: { key: string; trustedHead?: string; allowExpired?: boolean; json?: boolean }) => {
      let result: VerifyResult;
      try {
        result = await verifyExportFile(file, {
          publicKey: parseAuditPublicKey(o.key),
          ...(o.trustedHead ? { trustedHead: o.trustedHead } : {}),
          ...(o.allowExpired ? { allowExpired: true } : {}),
        });
      } catch (err) {
        fail(err);
      }
      if (o.json) {
        const { leafHashes: _omit, head, ...rest } = result;
        printJson({ ...rest, ...(head ? { head: { ...head, rootHash: hex(head.rootHash), signature: hex(head.signature) } } : {}) });
      } else {
        (result.ok ? process.stdout : process.stderr).write(describeResult(result, file) + "\n");
      }
      if (!result.ok) process.exitCode = 1;
    });

  audit
    .command("export")
    .description("download a range of the log as JSON Lines, with the signed head and proofs")
    .requiredOption("--out <file>", "where to write the export")
    .option("--from <index>", "first leaf (default 0)")
    .option("--to <index>", "one past the last leaf (default: the signed head's size)")
    .option("--trusted-head <file>", "a head you kept: the export carries a consistency proof from it")
    .option("--url <url>", "the console (default LIAISON_URL, or the local stack's)")
    .option("--token <token>", "a supervisor token (default LIAISON_TOKEN, or the local stack's)")
    .action(async (o: ConsoleOptions & { out: string; from?: string; to?: string; trustedHead?: string }) => {
      try {
        const params = new URLSearchParams();
        if (o.from !== undefined) params.set("from", o.from);
        if (o.to !== undefined) params.set("to", o.to);
        if (o.trustedHead) {
          const size = /"treeSize"\s*:\s*(\d+)/.exec(readFileSync(o.trustedHead, "utf8").slice(0, 4096))?.[1];
          if (!size) throw new LiaisonError("LIAISON_BAD_REQUEST", `${o.trustedHead} holds no tree head`);
          params.set("since", size);
        }
        const res = await get(consoleTarget(o), `/v1/audit/export${params.size ? `?${params}` : ""}`);
        if (!res.body) throw new LiaisonError("LIAISON_INTERNAL", "the console sent no export");
        await pipeline(Readable.fromWeb(res.body as WebReadableStream), createWriteStream(o.out, { mode: 0o600 }));
        process.stdout.write(`wrote ${o.out}\n`);
      } catch (err) {
        fail(err);
      }
    });

  audit
    .command("head")
    .description("save the latest signed tree head (with its frontier): keep it to check later exports against")
    .requiredOption("--out <file>", "where to write the head file")
    .option("--sign", "ask the audit service to sign a head of the log as it is now")
    .option("--url <url>", "the console (default LIAISON_URL, or the local stack's)")
    .option("--token <token>", "a supervisor token (default LIAISON_TOKEN, or the local stack's)")
    .action(async (o: ConsoleOptions & { out: string; sign?: boolean }) => {
      try {
        const res = await get(consoleTarget(o), "/v1/audit/head", o.sign ? "POST" : "GET");
        const text = await res.text();
        writeFileSync(o.out, text.endsWith("\n") ? text : text + "\n", { mode: 0o600 });
        const size = /"treeSize"\s*:\s*(\d+)/.exec(text)?.[1];
        process.stdout.write(`wrote ${o.out} (tree head of ${size ?? "?"} leaves)\n`);
      } catch (err) {
        fail(err);
      }
    });

  audit
    .command("key")
    .description("save the audit log's public key for `liaison audit verify --key` (check its key id out of band)")
    .requiredOption("--out <file>", "where to write the key")
    .option("--url <url>", "the console (default LIAISON_URL, or the local stack's)")
    .option("--token <token>", "a supervisor token (default LIAISON_TOKEN, or the local stack's)")
    .action(async (o: ConsoleOptions & { out: string }) => {
      try {
        const res = await get(consoleTarget(o), "/v1/audit/key");
        const key = (await res.json()) as { keyId: string };
        writeFileSync(o.out, JSON.stringify(key, null, 2) + "\n");
        process.stdout.write(`wrote ${o.out} (${key.keyId})\n`);
      } catch (err) {
        fail(err);
      }
    });
}
