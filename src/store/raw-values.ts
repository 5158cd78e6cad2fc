import { engineOf, type Prisma, type Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/*
 * A raw statement's values as each engine answers them: SQLite gives a DateTime as its stored text and a boolean as
 * 0/1, PostgreSQL a Date and true/false. Prisma's own queries convert them; `$queryRaw` rows come through these.
 */

/** A DateTime column of a raw row, null when it is. */
export const rawDate = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** A boolean column (or a boolean expression) of a raw row. */
export const rawFlag = (value: boolean | number | bigint | null): boolean => Number(value) === 1;

/**
 * A Date parameter that PostgreSQL types as a timestamp where nothing around it says so (a SELECT list, a CASE of
 * parameters only), which it would otherwise type as text; SQLite takes it as it is.
 */
export const timeParameter = (db: Prisma | Transaction, value: Date): Sql.Sql =>
  engineOf(db as Prisma) === "postgresql" ? Sql.sql`CAST(${value} AS TIMESTAMP(3))` : Sql.sql`${value}`;

/**
 * A mark's time strictly later than the one it replaces (`kept`, a column): `at`, or the kept time plus a millisecond
 * when `at` is not later (a second change in the same millisecond, on another replica or beside the sweep, or a clock
 * behind). Whatever compares a mark with the one it read (is it still the same?) then sees every change made since.
 */
export function laterThan(db: Prisma | Transaction, kept: Sql.Sql, at: Date): Sql.Sql {
  const time = timeParameter(db, at);
  // SQLite keeps a DateTime as the adapter writes it, ISO 8601 text ending "+00:00", compared as text.
  const next =
    engineOf(db as Prisma) === "postgresql"
      ? Sql.sql`${kept} + INTERVAL '1 millisecond'`
      : Sql.sql`strftime('%Y-%m-%dT%H:%M:%f+00:00', ${kept}, '+0.001 seconds')`;
  return Sql.sql`CASE WHEN ${kept} >= ${time} THEN ${next} ELSE ${time} END`;
}
