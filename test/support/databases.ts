import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import type { Engine } from "../../src/config/database-url.js";
import { tempFolder } from "./temp-folders.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** the throwaway PostgreSQL server test/global-setup.ts starts for the run */
    postgresUrl: string;
  }
}

export const ENGINES: readonly Engine[] = ["sqlite", "postgresql"];

/**
 * A DATABASE_URL for a new, empty database of the engine: a file in a temp folder removed after the test (or the file's
 * tests, called in a `beforeAll`), or a new database on the test server.
 */
export async function freshDatabaseUrl(engine: Engine): Promise<string> {
  if (engine === "sqlite") return `file:${join(tempFolder("closeloop-db-"), "closeloop.db")}`;
  const admin = inject("postgresUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
