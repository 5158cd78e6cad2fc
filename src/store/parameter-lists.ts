import type { Engine } from "../config/database-url.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/*
 * A list of values a statement tests or looks up (a batch's ids, its issues' repository and number), sent so that on
 * PostgreSQL the statement's text is the same whatever the batch's size: each column of the list is ONE parameter, an
 * array. A text per batch size filled the 100 names a process gives the statements it sends again
 * (statement-names.ts), after which a long-running process's new writes were parsed and planned at every run (#25).
 * SQLite keeps one parameter per value: it has no arrays, and its prepared statements have no such limit.
 */

/** The PostgreSQL type of a list's column, which its array is cast to (an untyped array parameter is text). */
export type ListType = "integer" | "bigint" | "text" | "timestamp(3)" | "boolean";

/** A lease key's column type: text for text keys, else bigint, which PostgreSQL compares with an integer column too. */
export const keyType = (keys: readonly unknown[]): ListType => (typeof keys[0] === "string" ? "text" : "bigint");

/** `column IN (values)`; the values must not be empty. */
export function inList(engine: Engine, column: Sql.Sql, type: ListType, values: readonly unknown[]): Sql.Sql {
  return engine === "postgresql"
    ? Sql.sql`${column} = ANY(${array(type, values)})`
    : Sql.sql`${column} IN (${Sql.join(values.map((value) => Sql.sql`${value}`))})`;
}

/** `(columns…) IN (rows)`, each row a value for each column in order; the rows must not be empty. */
export function inRows(
  engine: Engine,
  columns: readonly Sql.Sql[],
  types: readonly ListType[],
  rows: readonly (readonly unknown[])[],
): Sql.Sql {
  const tuple = Sql.sql`(${Sql.join(columns)})`;
  if (engine === "sqlite")
    return Sql.sql`${tuple} IN (${Sql.join(rows.map((row) => Sql.sql`(${Sql.join(row.map((value) => Sql.sql`${value}`))})`))})`;
  return Sql.sql`${tuple} IN (SELECT * FROM unnest(${columnArrays(types, rows)}))`;
}

/**
 * The value listed for the row's `key` (NULL when its key is not listed), for a SET that writes each row of a batch
 * its own value; the pairs must not be empty.
 */
export function valueByKey(
  engine: Engine,
  key: Sql.Sql,
  types: readonly [ListType, ListType],
  pairs: readonly (readonly [unknown, unknown])[],
): Sql.Sql {
  if (engine === "sqlite")
    return Sql.sql`(CASE ${key} ${Sql.join(
      pairs.map(([k, value]) => Sql.sql`WHEN ${k} THEN ${value}`),
      " ",
    )} END)`;
  return Sql.sql`(SELECT l."value" FROM unnest(${columnArrays(types, pairs)}) AS l("key", "value") WHERE l."key" = ${key})`;
}

/**
 * PostgreSQL: rows to insert, as a FROM item `unnest(arrays…) AS alias (columns…)`, one array parameter per column of
 * `columns` (name → type), each row a value for each column in order; the rows must not be empty.
 */
export function rowsFrom(
  alias: string,
  columns: Readonly<Record<string, ListType>>,
  rows: readonly (readonly unknown[])[],
): Sql.Sql {
  const names = Object.keys(columns).map((name) => `"${name}"`);
  return Sql.sql`unnest(${columnArrays(Object.values(columns), rows)}) AS ${Sql.raw(`"${alias}" (${names.join(", ")})`)}`;
}

/** The rows' columns as array parameters, one per column of `types`, separated by commas (unnest's arguments). */
function columnArrays(types: readonly ListType[], rows: readonly (readonly unknown[])[]): Sql.Sql {
  return Sql.join(
    types.map((type, i) =>
      array(
        type,
        rows.map((row) => row[i]),
      ),
    ),
  );
}

/**
 * An array parameter. Dates go as their ISO text: the driver would write an array's dates in the process's time zone,
 * which a `timestamp` (without one, as Prisma makes DateTime columns) would keep as they read.
 */
function array(type: ListType, values: readonly unknown[]): Sql.Sql {
  const sent = values.map((value) => (value instanceof Date ? value.toISOString() : value));
  return Sql.sql`CAST(${sent} AS ${Sql.raw(type)}[])`;
}
