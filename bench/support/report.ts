// How every benchmark prints: each figure in absolute terms beside the baseline measured in the
// same run, the ratio between them, and the target it is held to.

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The baseline measured in the same run, when the figure has one. */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** The target: a value and whether higher or lower is better. */
  readonly target?: { readonly value: number; readonly better: "higher" | "lower" };
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 3 }));

export function meets(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  return f.target.better === "higher" ? f.value >= f.target.value : f.value <= f.target.value;
}

export function report(title: string, figures: readonly Figure[]): void {
  const lines = [`${title}`];
  for (const f of figures) {
    let line = `  ${f.name}: ${fmt(f.value)} ${f.unit}`;
    if (f.baseline) line += `  | baseline ${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}  | ratio ${(f.value / f.baseline.value).toFixed(3)}`;
    if (f.target) line += `  | target ${f.target.better === "higher" ? ">=" : "<="} ${fmt(f.target.value)}${f.unit.startsWith("%") ? "" : " " + f.unit} ${meets(f) ? "MET" : "NOT MET"}`;
    lines.push(line);
  }
  process.stdout.write(lines.join("\n") + "\n");
}

/** p-th percentile (0..100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}
