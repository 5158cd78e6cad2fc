/*
 * A raw statement's values as each engine answers them: SQLite gives a DateTime as its stored text and a boolean as
 * 0/1, PostgreSQL a Date and true/false. Prisma's own queries convert them; `$queryRaw` rows come through these.
 */

/** A DateTime column of a raw row, null when it is. */
export const rawDate = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** A boolean column (or a boolean expression) of a raw row. */
export const rawFlag = (value: boolean | number | bigint | null): boolean => Number(value) === 1;
