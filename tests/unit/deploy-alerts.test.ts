// deploy/prometheus: the alert rules parse, and every metric they name is one the code produces,
// so renaming a metric cannot silently mute an alert.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ServiceMetrics } from "../../src/metrics/mod.js";

const ROOT = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === "proto" ? [] : sources(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/** Names of every metric the code defines: its own (string literals) and prom-client's defaults. */
async function definedMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const f of [...sources(join(ROOT, "src")), ...sources(join(ROOT, "services"))]) {
    for (const m of readFileSync(f, "utf8").matchAll(/"(liaison_[a-z0-9_]+)"/g)) names.add(m[1] as string);
  }
  for (const m of await new ServiceMetrics("test").registry.getMetricsAsJSON()) names.add(m.name);
  return names;
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe("deploy/prometheus", () => {
  const alerts = parse(readFileSync(join(ROOT, "deploy", "prometheus", "alerts.yml"), "utf8")) as { groups: Array<{ name: string; rules: Rule[] }> };
  const rules = alerts.groups.flatMap((g) => g.rules);

  it("has the alerts operations and supervisors rely on", () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(["LiaisonContactPointDormant", "LiaisonErasureOverdue", "LiaisonConsumerLag", "LiaisonAuditTreeHeadStale", "LiaisonStreamWithoutQuorum", "LiaisonNatsNodeDown", "LiaisonStreamReplicaLagging", "LiaisonOrderHoldReleased"]));
    for (const r of rules) {
      expect(r.expr, r.alert).toMatch(/liaison_/);
      expect(r.labels?.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it("names only metrics the code produces", async () => {
    const defined = await definedMetrics();
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\b(liaison_[a-z0-9_]+)/g)].map((m) => m[1] as string)));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((n) => !defined.has(n))).toEqual([]);
  });

  it("scrapes the console's /metrics with an operations token and loads the rules", () => {
    const prom = parse(readFileSync(join(ROOT, "deploy", "prometheus", "prometheus.yml"), "utf8")) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; metrics_path?: string; authorization?: { credentials_file?: string } }>;
    };
    expect(prom.rule_files).toContain("alerts.yml");
    const liaison = prom.scrape_configs.find((s) => s.job_name === "liaison");
    expect(liaison?.metrics_path).toBe("/metrics");
    expect(liaison?.authorization?.credentials_file).toBeTruthy();
  });
});
