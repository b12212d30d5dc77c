// The HTTP edge's limits in the access point's and the console's config: named defaults, read from
// the environment, and a headers timeout longer than the request timeout refused at start.
import { describe, expect, it } from "vitest";
import { accessPointSchema, consoleSchema, DEFAULT_MAX_CONNECTIONS, DEFAULT_RATE_LIMIT_PER_CLIENT, DEFAULT_REFUSAL_LIMIT_PER_CLIENT, httpLimitsOf, loadConfig } from "../../src/config/mod.js";
import { isConfigInvalid } from "../../src/errors.js";

describe("HTTP edge limits in the config", () => {
  it("take their named defaults and read the environment", () => {
    const ap = loadConfig("access-point", accessPointSchema, { env: { LIAISON_CP: "BE", LIAISON_HEADERS_TIMEOUT: "2s", LIAISON_RATE_LIMIT_PER_TOKEN: "50" } });
    expect(httpLimitsOf(ap)).toMatchObject({ headersTimeout: 2_000, rateLimitPerToken: 50, rateLimitPerClient: DEFAULT_RATE_LIMIT_PER_CLIENT, refusalLimitPerClient: DEFAULT_REFUSAL_LIMIT_PER_CLIENT, maxConnections: DEFAULT_MAX_CONNECTIONS });
    expect(loadConfig("console", consoleSchema, { env: { LIAISON_MAX_CONNECTIONS: "64" } }).maxConnections).toBe(64);
  });

  it("refuses a headers timeout longer than the request timeout, naming the field", () => {
    let err: unknown;
    try {
      loadConfig("console", consoleSchema, { env: { LIAISON_HEADERS_TIMEOUT: "60s", LIAISON_REQUEST_TIMEOUT: "30s" } });
    } catch (e) {
      err = e;
    }
    expect(isConfigInvalid(err)).toBe(true);
    expect(String((err as Error).message)).toContain("LIAISON_HEADERS_TIMEOUT");
  });
});
