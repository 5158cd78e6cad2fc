import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/store/database.js";
import { parseDatabaseUrl } from "../src/store/database-url.js";
import { migrate, readMigrationFiles } from "../src/store/migrations.js";

/**
 * A new database for a benchmark, migrated. The bench runs from build-bench/, where src/'s own path to the
 * committed migrations does not hold: they are two levels up, at the repository's root.
 */
export async function openMigratedDatabase(url: string): Promise<Database> {
  const target = parseDatabaseUrl(url);
  await migrate(target, readMigrationFiles(target.engine, fileURLToPath(new URL("../../prisma/", import.meta.url))));
  return openDatabase(target);
}
