import { describe, expect, it } from "vitest";
import { seed } from "../../bench/labels.js";
import { openDatabase } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

// P4 and P5 seed their million links with set-based SQL beside Prisma, so a schema change can break the benchmark
// without failing any other test (the dropped Source.version column did): seed a small one here on both engines.
describe.each(ENGINES)("the P4/P5 seed on %s", (engine) => {
  it("writes the issues, sources and live links the sweep reads, on the current schema", async () => {
    const url = await freshDatabaseUrl(engine);
    await seed(url, 20, 100);
    const database = await openDatabase(url);
    try {
      const { prisma } = database;
      expect(await prisma.issue.count()).toBe(20);
      expect(await prisma.labelEvaluation.count({ where: { frequency: "daily", dueAt: { not: null } } })).toBe(20);
      expect(await prisma.source.count()).toBe(20);
      expect(await prisma.link.count()).toBe(100);
      expect(await prisma.linkSource.count()).toBe(100);
    } finally {
      await database.close();
    }
  });
});
