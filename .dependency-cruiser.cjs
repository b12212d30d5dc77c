// The layout rules of CONVENTIONS.md ("Layout and names"), checked by `npm run lint:layout`
// (part of `npm run check`): a service imports src/ only through a folder's mod.ts and never a
// sibling service; a src/ folder reaches another only through its mod.ts; src/ never imports a
// service; and no import cycle.
const MOD = "^src/[^/]+/mod\\.ts$|^src/(errors|version)\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-sibling-service",
      comment: "A service never imports another service: what it needs is in src/ (CONVENTIONS.md).",
      severity: "error",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/", pathNot: "^services/$1/" },
    },
    {
      name: "services-import-src-mod",
      comment: "A service imports src/ only through a folder's mod.ts (or src/errors.ts, src/version.ts).",
      severity: "error",
      from: { path: "^services/" },
      to: { path: "^src/", pathNot: MOD },
    },
    {
      name: "src-folders-through-mod",
      comment: "A src/ folder reaches another only through that folder's mod.ts.",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/", pathNot: [MOD, "^src/$1/"] },
    },
    {
      name: "src-never-imports-services",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^services/" },
    },
    {
      name: "no-cycle",
      comment: "No import cycle, between folders or inside one.",
      severity: "error",
      from: { path: "^(src|services)/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/proto/liaison\\.(js|d\\.ts)$" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
