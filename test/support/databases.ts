import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import type { Engine } from "../../src/config/database-url.js";
import { atFileEnd, tempFolder } from "./temp-folders.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** the throwaway PostgreSQL server test/global-setup.ts starts for the run */
    postgresUrl: string;
  }
}

export const ENGINES: readonly Engine[] = ["sqlite", "postgresql"];

/**
 * A DATABASE_URL for a new, empty database of the engine: a file in a temp folder removed after the test (or the file's
 * tests, called in a `beforeAll`), or a new database on the test server, dropped once the file's tests are done (each
 * takes some MB of the run's temp folder; a test may start a server on it that runs until an `afterAll`).
 */
export async function freshDatabaseUrl(engine: Engine): Promise<string> {
  if (engine === "sqlite") return `file:${join(tempFolder("closeloop-db-"), "closeloop.db")}`;
  const name = `t_${randomBytes(6).toString("hex")}`;
  await onTestServer(`CREATE DATABASE ${name}`);
  // FORCE: a connection a test forgot to close would keep the database, and its MBs, until the run's end.
  atFileEnd(() => onTestServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(inject("postgresUrl"));
  url.pathname = `/${name}`;
  return url.toString();
}

async function onTestServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject("postgresUrl") });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
