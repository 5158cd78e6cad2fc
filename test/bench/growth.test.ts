import { describe, expect, it } from "vitest";
import { bytesPerLink, liveBytesPerLink, measureGrowth, PROCESSING_ONLY } from "../../bench/growth.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

// `BENCH_ONLY=growth npm run bench` prints these figures for thousands of deliveries; here a few run through the same
// path, so the section keeps working: every delivery processed, the inbox empty, and per-link figures that mean something.
describe.each(ENGINES)("the database growth bench on %s", (engine) => {
  it("stores one link per delivery, empties the inbox, and measures a positive size per link", async () => {
    const figures = await measureGrowth(await freshDatabaseUrl(engine), 12);
    const rows = Object.fromEntries(figures.tables.map(({ table, rows }) => [table, rows]));
    expect(figures.links).toBe(12);
    expect(rows.Issue).toBe(12);
    for (const table of Object.keys(PROCESSING_ONLY)) expect(rows[table]).toBe(0);
    const perLink = bytesPerLink(figures);
    expect(Number.isFinite(perLink) && perLink > 0).toBe(true);
    for (const { rows } of figures.tables) expect(Number.isFinite(rows / figures.links)).toBe(true);
    // Measured halfway, and again after the server's trims: fewer bytes in use for the same links.
    expect(figures.halfway.links).toBe(6);
    expect(figures.trimmed.links).toBe(12);
    const end = { links: figures.links, bytes: figures.bytes, freeBytes: figures.freeBytes };
    expect(liveBytesPerLink(figures, figures.trimmed)).toBeLessThanOrEqual(liveBytesPerLink(figures, end));
    expect(figures.objects.some((object) => object.table === "Link" && !object.index && object.bytes > 0)).toBe(true);
  });
});
