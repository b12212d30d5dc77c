// Turns environment variables plus an optional JSON file into a frozen, fully resolved config, or
// fails naming every bad field. The only place in Liaison that reads process.env.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { LiaisonError } from "../errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** Variables that keep their conventional names instead of LIAISON_<FIELD>. */
const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  natsUrl: "NATS_URL",
  natsCreds: "NATS_CREDS",
  natsServerBin: "NATS_SERVER_BIN",
  path: "PATH",
};

/** The environment variable that sets a field: natsUrl → NATS_URL, reviewPeriod → LIAISON_REVIEW_PERIOD. */
export function envName(field: string): string {
  return ENV_OVERRIDES[field] ?? `LIAISON_${field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

export interface LoadOptions {
  /** Defaults to process.env. */
  readonly env?: Env;
  /** A JSON file whose keys are field names; defaults to $LIAISON_CONFIG when set. */
  readonly file?: string;
  /** Values that win over file and environment (tests, the stack runner). */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export function processEnv(): Env {
  return process.env;
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `cannot read config file ${path}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `config file ${path} is not valid JSON`, { cause: err });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `config file ${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Loads a service's config. Precedence: overrides, then environment, then file, then defaults.
 * Environment values are strings; the schema coerces them (numbers, booleans, durations, lists).
 */
/** A service schema: a zod object, or an object piped into a transform that fills in derived defaults. */
export type ServiceSchema = z.ZodObject | z.ZodPipe<z.ZodObject, z.ZodType>;

function shapeOf(schema: ServiceSchema): Record<string, unknown> {
  return schema instanceof z.ZodObject ? schema.shape : (schema.in as z.ZodObject).shape;
}

export function loadConfig<S extends ServiceSchema>(service: string, schema: S, opts: LoadOptions = {}): Readonly<z.output<S>> {
  const env = opts.env ?? processEnv();
  const shape = shapeOf(schema);
  const file = opts.file ?? env.LIAISON_CONFIG;
  const input: Record<string, unknown> = file ? readFile(file) : {};
  for (const field of Object.keys(shape)) {
    const v = env[envName(field)];
    if (v !== undefined && v !== "") input[field] = v;
  }
  Object.assign(input, opts.overrides ?? {});
  const result = schema.safeParse(input);
  if (!result.success) {
    const named = result.error.issues
      .map((i) => {
        const field = String(i.path[0] ?? "");
        return field && field in shape ? `${field} (${envName(field)})` : field;
      })
      .filter((f, i, all) => f !== "" && all.indexOf(f) === i);
    const where = file ? ` (file ${file} and environment)` : " (environment)";
    throw new LiaisonError(
      "LIAISON_CONFIG_INVALID",
      `${service} config${where} has ${result.error.issues.length} bad field(s): ${named.join(", ")}\n${z.prettifyError(result.error)}`,
    );
  }
  return Object.freeze(result.data) as Readonly<z.output<S>>;
}
