import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cliSchema, envName, hubDataSchema, loadConfig, retentionSchema, stackSchema, zPeriod, baseFields } from "../../src/config/mod.js";
import { isConfigInvalid, type LiaisonError } from "../../src/errors.js";

function failure(fn: () => unknown): LiaisonError {
  try {
    fn();
  } catch (err) {
    if (isConfigInvalid(err)) return err;
    throw err;
  }
  throw new Error("expected the config to be refused");
}

describe("configuration", () => {
  it("derives environment names from field names, keeping NATS_URL conventional", () => {
    expect(envName("natsUrl")).toBe("NATS_URL");
    expect(envName("reviewPeriod")).toBe("LIAISON_REVIEW_PERIOD");
    expect(envName("home")).toBe("LIAISON_HOME");
  });

  it("resolves defaults into a frozen config", () => {
    const cfg = loadConfig("stack", stackSchema, { env: {} });
    expect(cfg.natsPort).toBe(4222);
    expect(cfg.accessPoints).toEqual(["BE", "NL", "DE", "FR"]);
    expect(cfg.natsUrl).toBeUndefined();
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it("gives LIAISON_REMINDER_DAYS to the records service as well as the retention service", () => {
    const env = { LIAISON_REMINDER_DAYS: "14, 2" };
    expect(loadConfig("records", hubDataSchema, { env }).reminderDays).toEqual([14, 2]);
    expect(loadConfig("retention", retentionSchema, { env }).reminderDays).toEqual([14, 2]);
    expect(loadConfig("records", hubDataSchema, { env: {} }).reminderDays).toEqual([30, 7, 1]);
    expect(failure(() => loadConfig("records", hubDataSchema, { env: { LIAISON_REMINDER_DAYS: "14,soon" } })).message).toContain("LIAISON_REMINDER_DAYS");
  });

  it("sizes the large-file stores from LIAISON_LARGE_FILE_STORE_BYTES: 8 GiB for provisioning, 2 GiB under npm start, refusing less than 64 MiB", () => {
    expect(loadConfig("cli", cliSchema, { env: {} }).largeFileStoreBytes).toBe(8 * 1024 ** 3);
    expect(loadConfig("stack", stackSchema, { env: {} }).largeFileStoreBytes).toBe(2 * 1024 ** 3);
    expect(loadConfig("cli", cliSchema, { env: { LIAISON_LARGE_FILE_STORE_BYTES: String(1024 ** 3) } }).largeFileStoreBytes).toBe(1024 ** 3);
    for (const bad of ["1000", "lots", "-1"]) {
      expect(failure(() => loadConfig("cli", cliSchema, { env: { LIAISON_LARGE_FILE_STORE_BYTES: bad } })).message, bad).toContain("LIAISON_LARGE_FILE_STORE_BYTES");
    }
  });

  it("names every bad field, with the variable that sets it", () => {
    const err = failure(() =>
      loadConfig("stack", stackSchema, {
        env: { LIAISON_NATS_PORT: "not-a-port", LIAISON_ACCESS_POINTS: "BE,xx", LIAISON_STOP_TIMEOUT: "soon" },
      }),
    );
    expect(err.code).toBe("LIAISON_CONFIG_INVALID");
    expect(err.message).toContain("3 bad field(s)");
    expect(err.message).toContain("natsPort (LIAISON_NATS_PORT)");
    expect(err.message).toContain("accessPoints (LIAISON_ACCESS_POINTS)");
    expect(err.message).toContain("stopTimeout (LIAISON_STOP_TIMEOUT)");
    expect(err.message).toContain('"soon" is not an interval');
  });

  it("reads a JSON file and lets the environment override it", () => {
    const dir = mkdtempSync(join(tmpdir(), "liaison-cfg-"));
    const file = join(dir, "stack.json");
    writeFileSync(file, JSON.stringify({ natsPort: 5222, consolePort: 9000 }));
    const cfg = loadConfig("stack", stackSchema, { env: { LIAISON_CONSOLE_PORT: "9100" }, file });
    expect(cfg.natsPort).toBe(5222);
    expect(cfg.consolePort).toBe(9100);
  });

  it("refuses a config file that is not JSON, naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "liaison-cfg-"));
    const file = join(dir, "broken.json");
    writeFileSync(file, "natsPort = 5222");
    const err = failure(() => loadConfig("stack", stackSchema, { env: {}, file }));
    expect(err.message).toContain(file);
  });

  it("parses calendar periods for retention and refuses nonsense", () => {
    const schema = z.object({ ...baseFields, reviewPeriod: zPeriod.prefault("12mo") });
    expect(loadConfig("records", schema, { env: {} }).reviewPeriod).toEqual({ months: 12, ms: 0 });
    expect(loadConfig("records", schema, { env: { LIAISON_REVIEW_PERIOD: "30s" } }).reviewPeriod).toEqual({ months: 0, ms: 30_000 });
    const err = failure(() => loadConfig("records", schema, { env: { LIAISON_REVIEW_PERIOD: "a year" } }));
    expect(err.message).toContain("reviewPeriod (LIAISON_REVIEW_PERIOD)");
  });
});
