// How the CLI talks to people and scripts: tables for people, --json for scripts, and errors as
// one line with the reason code (exit 1), never a stack trace.
import { iso } from "../api/mod.js";
import { ERRORS, isErrorCode, isLiaisonError } from "../errors.js";

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

export function printTable(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, columns: readonly string[]): void {
  if (rows.length === 0) {
    process.stdout.write("(none)\n");
    return;
  }
  const cell = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  process.stdout.write([line([...columns]), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join("\n") + "\n");
}

export function fail(err: unknown): never {
  if (isLiaisonError(err)) process.stderr.write(`liaison: ${err.code}: ${err.message}\n`);
  else process.stderr.write(`liaison: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
}

/**
 * A command's answer: with --json, what `work` gives as JSON (or `json` of it); otherwise `words` of it
 * for people. Any error on the way ends the command as fail() does.
 */
export async function answer<T>(o: { readonly json?: boolean | undefined }, work: () => T | Promise<T>, words: (value: T) => unknown, json: (value: T) => unknown = (v) => v): Promise<void> {
  try {
    const value = await work();
    if (o.json) printJson(json(value));
    else words(value);
  } catch (err) {
    fail(err);
  }
}

/** A refusal as an operator reads it: its code, what the code means, and the detail given with it. */
export function reasonInWords(code: string, detail?: string): string {
  const words = isErrorCode(code) ? ERRORS[code].message : undefined;
  return [code, words, detail && detail !== words ? detail : undefined].filter(Boolean).join(": ");
}

/** A date or time from the command line: "2026-12-01" means the end of that day (UTC); a full ISO time is taken as is. */
export function dateOrTime(v: string): string {
  const at = iso(/^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T23:59:59Z`) : Date.parse(v));
  if (!at) throw new Error(`not a date or time: ${v}`);
  return at;
}
