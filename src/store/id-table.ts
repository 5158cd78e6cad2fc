import { engineOf, type Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/**
 * A set of ids as a one-column table bound as ONE parameter, a JSON array, for `x IN (<this>)`: a person may read
 * 100,000 repositories, past the bound parameters one statement may carry (SQLite 32,766, PostgreSQL 65,535), and the
 * planner joins a table instead of testing a list. The ids are written as strings, so none loses digits as a JSON
 * number.
 */
export function idTable(prisma: Prisma, ids: readonly bigint[]): Sql.Sql {
  const json = JSON.stringify(ids.map(String));
  return engineOf(prisma) === "postgresql"
    ? Sql.sql`SELECT CAST(t."id" AS BIGINT) FROM json_array_elements_text(CAST(${json} AS json)) AS t("id")`
    : Sql.sql`SELECT CAST(t."value" AS INTEGER) FROM json_each(${json}) AS t`;
}

/** The most ids `idList` names one by one. */
export const NAMED_IDS = 500;

/**
 * Up to `NAMED_IDS` ids for `x IN (<this>)`, one parameter each, which the planner reads as values: PostgreSQL
 * estimates from its statistics how many rows they match (of a table from a JSON parameter it guesses a hundred,
 * whatever the table holds), and both engines may read an index leading with `x` for each.
 */
export function idList(ids: readonly bigint[]): Sql.Sql {
  if (ids.length === 0 || ids.length > NAMED_IDS) throw new RangeError(`idList takes 1 to ${NAMED_IDS} ids`);
  return Sql.join(ids.map((id) => Sql.sql`${id}`));
}
