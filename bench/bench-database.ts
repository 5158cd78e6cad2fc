import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/store/database.js";
import { parseDatabaseUrl } from "../src/config/database-url.js";
import { migrate, readMigrationFiles } from "../src/store/migrations.js";

/**
 * A new database for a benchmark, migrated. Compiled, the bench runs from build-bench/bench/, where src/'s own path to
 * the committed migrations does not hold: they are two levels up, at the repository's root (one level up when a test
 * imports this file from bench/ itself).
 */
export async function openMigratedDatabase(url: string): Promise<Database> {
  const target = parseDatabaseUrl(url);
  const root = import.meta.url.endsWith(".ts") ? "../prisma/" : "../../prisma/";
  await migrate(target, readMigrationFiles(target.engine, fileURLToPath(new URL(root, import.meta.url))));
  return openDatabase(target);
}
