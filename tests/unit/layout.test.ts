// The layout rules of CONVENTIONS.md, checked by dependency-cruiser (.dependency-cruiser.cjs,
// `npm run lint:layout`, part of `npm run check`, keeps the tree to them): each rule catches what it
// names, on a scratch tree that breaks every one.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const depcruise = join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const run = (cwd: string) =>
  spawnSync(process.execPath, [depcruise, "src", "services", "--config", ".dependency-cruiser.cjs", "--output-type", "err"], { cwd, encoding: "utf8", timeout: 60_000 });

describe("layout", () => {
  const scratch = mkdtempSync(join(tmpdir(), "liaison-layout-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("refuses a sibling service, a reach past mod.ts, src/ importing a service, and a cycle", () => {
    const files: Record<string, string> = {
      "src/a/mod.ts": 'export { x } from "./x.js";\n',
      "src/a/x.ts": "export const x = 1;\n",
      // past mod.ts, and one half of a cycle between folders
      "src/b/mod.ts": 'import { x } from "../a/x.js";\nimport { c } from "../c/mod.js";\nexport const b = x + c;\n',
      "src/c/mod.ts": 'import { b } from "../b/mod.js";\nexport const c = 2;\nexport const bb = () => b;\n',
      // src/ reaching into a service
      "src/d/mod.ts": 'import { s } from "../../services/two/main.js";\nexport const d = s;\n',
      // a service importing its sibling, and src/ past mod.ts
      "services/one/main.ts": 'import { s } from "../two/main.js";\nimport { x } from "../../src/a/x.js";\nexport const one = s + x;\n',
      "services/two/main.ts": "export const s = 3;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(scratch, path)), { recursive: true });
      writeFileSync(join(scratch, path), text);
    }
    copyFileSync(join(root, ".dependency-cruiser.cjs"), join(scratch, ".dependency-cruiser.cjs"));
    copyFileSync(join(root, "tsconfig.json"), join(scratch, "tsconfig.json"));
    const r = run(scratch);
    const out = r.stdout + r.stderr;
    expect(r.status).not.toBe(0);
    expect(out).toMatch(/no-sibling-service: services\/one\/main\.ts → services\/two\/main\.ts/);
    expect(out).toMatch(/services-import-src-mod: services\/one\/main\.ts → src\/a\/x\.ts/);
    expect(out).toMatch(/src-folders-through-mod: src\/b\/mod\.ts → src\/a\/x\.ts/);
    expect(out).toMatch(/src-never-imports-services: src\/d\/mod\.ts → services\/two\/main\.ts/);
    expect(out).toMatch(/no-cycle: src\/(b|c)\/mod\.ts/);
  }, 60_000);
});
