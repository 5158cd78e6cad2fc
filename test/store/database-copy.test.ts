import { describe, expect, it } from "vitest";
import { readSqliteTime } from "../../src/store/database-copy.js";

// What copy-database writes into PostgreSQL's `timestamp(3)` for each way a DateTime is kept in a SQLite file: a
// `timestamp` column drops an offset instead of applying it, so every instant must go in as UTC.
describe("readSqliteTime", () => {
  it.each([
    ["Prisma's adapter and the inbox writer", "2026-11-22T08:30:00.123+00:00", "2026-11-22T08:30:00.123Z"],
    ["ISO 8601 in UTC", "2026-11-22T08:30:00.123Z", "2026-11-22T08:30:00.123Z"],
    ["a migration's CURRENT_TIMESTAMP default", "2026-11-22 08:30:00", "2026-11-22T08:30:00.000Z"],
    ["another offset, applied", "2026-11-22T10:30:00+02:00", "2026-11-22T08:30:00.000Z"],
    ["an offset without its colon", "2026-11-22 03:30:00.5-0500", "2026-11-22T08:30:00.500Z"],
    ["minutes only", "2026-11-22T08:30", "2026-11-22T08:30:00.000Z"],
    ["milliseconds since 1970, as an integer", 1795336200123n, "2026-11-22T08:30:00.123Z"],
    ["the age order's far future", "9999-12-31T23:59:59.999+00:00", "9999-12-31T23:59:59.999Z"],
  ])("%s", (_, stored, instant) => {
    expect(readSqliteTime(stored, "T.c").toISOString()).toBe(instant);
  });

  it.each(["yesterday", "", "2026-13-45 08:30:00", "2026-11-22", true])("refuses %j, naming the column", (stored) => {
    expect(() => readSqliteTime(stored, "Link.enrichedAt")).toThrow(/^Link\.enrichedAt: .* is not a time$/);
  });
});
