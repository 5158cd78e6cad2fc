import { describe, expect, it } from "vitest";
import { seed } from "../../bench/labels.js";
import { benchSidebarLoad } from "../../bench/sidebar.js";
import { openDatabase } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

// P7 times real sidebar loads over P4's seed; a change to the sidebar's routes, proof or panel query must not leave it
// timing errors: run it small on both engines, and check every load listed its ticket's link (no timing asserted).
describe.each(ENGINES)("the P7 sidebar load on %s", (engine) => {
  it("verifies the Zendesk page's JWT and lists each loaded ticket's link", async () => {
    const url = await freshDatabaseUrl(engine);
    await seed(url, 20, 100);
    const database = await openDatabase(url);
    try {
      const figures = await benchSidebarLoad(database, 100, 5);
      expect(figures).toMatchObject({ loads: 5, linksShown: 5 });
      expect(figures.p95Ms).toBeGreaterThanOrEqual(figures.p50Ms);
    } finally {
      await database.close();
    }
  });
});
