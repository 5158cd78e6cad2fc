import type { Engine } from "../config/database-url.js";
import type { Prisma } from "./client.js";

/**
 * Keeps SQLite's query planner statistics as SQLite advises for a long-lived connection
 * (https://sqlite.org/lang_analyze.html, https://sqlite.org/pragma.html#pragma_optimize): each table that has never
 * been analysed, or whose size changed tenfold since, is analysed again; the others cost a size check (about a
 * millisecond at a million links). The mask 0x10002 looks at every table, not only those this connection has queried
 * (the sweep reads through a connection of its own), and leaves out 0x10, the bound on the rows each analysis reads:
 * a bounded analysis writes no sqlite_stat4 samples, and without them the impact page's views by customers and by a
 * rare helpdesk were planned on the wrong index and missed P6 (README, Sizing). The server runs it when it opens the
 * database and after each label sweep.
 *
 * PostgreSQL needs nothing: autovacuum analyses its tables in service.
 */
export async function refreshPlannerStatistics(prisma: Prisma, engine: Engine): Promise<void> {
  if (engine === "sqlite") await prisma.$queryRawUnsafe("PRAGMA optimize = 0x10002");
}
