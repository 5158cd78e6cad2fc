import type { Logger } from "probot";
import { describe, expect, it } from "vitest";
import { keepPlannerStatistics } from "../../src/jobs/planner-statistics.js";
import type { Prisma } from "../../src/store/client.js";

/** A log that keeps what was written, by level. */
function keptLog() {
  const lines: string[] = [];
  const log = {
    info: (message: string) => lines.push(`info ${message}`),
    warn: (_fields: unknown, message: string) => lines.push(`warn ${message}`),
  } as unknown as Logger;
  return { log, lines };
}

describe("the server's SQLite planner statistics", () => {
  it("a database that refuses them (busy at start) is logged and the server goes on", async () => {
    const busy = {
      $queryRawUnsafe: () => Promise.reject(new Error("database is locked")),
    } as unknown as Prisma;
    const { log, lines } = keptLog();
    await expect(keepPlannerStatistics(busy, "sqlite", log, "closeloop")).resolves.toBeUndefined();
    expect(lines).toEqual([
      "warn closeloop: SQLite's planner statistics not refreshed (database is locked); tried again after the next label sweep",
    ]);
  });

  it("PostgreSQL's are left to its autovacuum: nothing is sent", async () => {
    const sent: string[] = [];
    const postgres = {
      $queryRawUnsafe: (sql: string) => (sent.push(sql), Promise.resolve([])),
    } as unknown as Prisma;
    const { log, lines } = keptLog();
    await keepPlannerStatistics(postgres, "postgresql", log, "closeloop");
    expect({ sent, lines }).toEqual({ sent: [], lines: [] });
  });
});
