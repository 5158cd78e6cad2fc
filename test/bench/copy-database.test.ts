import { describe, expect, it } from "vitest";
import { measureCopy } from "../../bench/copy-database.js";
import { seed } from "../../bench/labels.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { ROOT } from "../support/process.js";

// `BENCH_ONLY=copy npm run bench` copies P4's seed at 1M links; here 200 links go through the same command line, so
// the section keeps working: every seeded row copied, and a peak memory read from the running command.
describe("the copy-database bench", () => {
  it("copies P4's seed with the command a person runs, and reads its peak RSS", async () => {
    const source = await freshDatabaseUrl("sqlite");
    await seed(source, 10, 200);
    const run = await measureCopy(ROOT, source, await freshDatabaseUrl("postgresql"));
    // the repository, and per issue its row, evaluation and comment; per link its row and its source's
    expect(run.rows).toBe(1 + 3 * 10 + 2 * 200);
    expect(run.maxRssMb).toBeGreaterThan(10);
  });
});
