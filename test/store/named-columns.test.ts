import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Every source file under src/, with its text. */
function sources(folder = "src"): { path: string; text: string }[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) ? [{ path, text: readFileSync(path, "utf8") }] : [];
  });
}

describe("raw statements read a table's columns by name", () => {
  // A statement prepared on a PostgreSQL connection (src/store/statement-names.ts) is planned again when a newer
  // replica's migration adds a column, and fails for good on that connection if its result columns change: `*` over a
  // table (not over a CTE of the same statement, whose columns its text fixes) would.
  it("no SELECT * FROM a table, no RETURNING *", () => {
    const found = sources().flatMap(({ path, text }) =>
      [...text.matchAll(/SELECT\s+\*\s+FROM\s+"[A-Z]\w*"|RETURNING\s+\*/g)].map((match) => `${path}: ${match[0]}`),
    );
    expect(found).toEqual([]);
  });
});
