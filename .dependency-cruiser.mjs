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
    {
      name: "projects-below-labels",
      comment:
        "Applying labels goes on to the project field (labels/installation-labels.ts); projects/ needs nothing of labels/.",
      severity: "error",
      from: { path: "^src/projects/" },
      to: { path: "^src/labels/" },
    },
    {
      name: "prisma-only-in-store",
      comment: "src/store/ is the only place that talks to the database: everything else calls its named functions.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/store/"] },
      to: { path: ["^src/store/generated/", "(^|/)node_modules/(@prisma/|pg/|better-sqlite3/)"] },
    },
    {
      name: "github-calls-only-in-github",
      comment:
        "GitHub is called through src/github/, as helpdesks are through src/providers/. Only @octokit/webhooks' " +
        "event names (types) reach further, to the Probot edge (next rule).",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/github/"] },
      to: { path: "(^|/)node_modules/@octokit/", pathNot: "(^|/)node_modules/@octokit/webhooks/" },
    },
    {
      name: "webhook-events-at-the-edge",
      comment: "GitHub's webhook event names are read where webhooks arrive: the app's routes, HTTP and the handlers.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/app\\.ts$", "^src/http/", "^src/handlers/", "^src/github/"] },
      to: { path: "(^|/)node_modules/@octokit/webhooks/" },
    },
  ],
  options: {
    // The generated Prisma clients are leaves: who imports them is checked, their insides are not.
    doNotFollow: { path: ["node_modules", "^src/store/generated/"] },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    // @octokit's packages name their files only in package.json "exports": resolve them as Node does.
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "types", "node", "default"] },
  },
};
