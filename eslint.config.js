// Lint rules: typescript-eslint's recommended set on our sources; generated code is checked by
// drift against proto/, not by style.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "src/proto/liaison.js", "src/proto/liaison.d.ts", ".liaison/", ".scratch/", "dist/", "coverage/", "test-results/", "test-artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read settings through src/config (loadConfig)." }],
    },
  },
  {
    // Tests (and their config), benchmarks, scripts and the config loader itself may read the environment.
    files: ["src/config/**", "tests/**", "bench/**", "scripts/**", "vitest.config.ts"],
    rules: { "no-restricted-properties": "off" },
  },
  {
    // The consoles' web UIs (the hub's, and the member console at the access point) run in the browser.
    files: ["services/console/web/**/*.js", "services/access-point/web/**/*.js", "src/web/public/**/*.js"],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
  {
    files: ["bin/**/*.js"],
    languageOptions: { globals: { process: "readonly" } },
  },
);
