/**
 * The layering rule (docs/ARCHITECTURE.md, Layers), checked by `npm test` (`npm run deps` alone): no import cycles,
 * and every arrow points inward. dependency-cruiser reads the TypeScript sources, type-only imports included.
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: "no-cycle",
      comment: "A cycle makes two modules one: neither can be understood, tested or moved without the other.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "domain-is-pure",
      comment:
        "src/domain/ is pure logic: it imports only itself and the config schemas (their types and defaults). " +
        "node:crypto is allowed for deterministic hashing and key derivation (customer-hash.ts, secret-key.ts), " +
        "zod for parsing (pure).",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { pathNot: ["^src/domain/", "^src/config/repo-config\\.ts$", "^crypto$", "(^|/)node_modules/zod/"] },
    },
    {
      name: "config-below-io",
      comment: "src/config/ says what the settings are; reading them from GitHub or the database happens above it.",
      severity: "error",
      from: { path: "^src/config/" },
      to: { path: "^src/(store|github|dashboard)/" },
    },
    {
      name: "store-below-callers",
      comment: "src/store/ is called by handlers, jobs, HTTP and the dashboard, and calls none of them.",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: "^src/(dashboard|handlers|jobs|http)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/store/generated/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
