// Structured logs (pino). Key material, tokens and content never reach a log line: the redaction
// list names every field that could hold them, wherever they are nested.
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

export const REDACTED_PATHS = [
  "seed",
  "*.seed",
  "secretKey",
  "*.secretKey",
  "privateKey",
  "*.privateKey",
  "token",
  "*.token",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "body",
  "*.body",
  "plaintext",
  "*.plaintext",
  "identifiers",
  "*.identifiers",
];

export function createLogger(name: string, level: LevelWithSilent = "info"): Logger {
  return pino({
    name,
    level,
    base: { service: name, pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
