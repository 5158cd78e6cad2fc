import type { Engine } from "../config/database-url.js";
import { engineOf, type Prisma, type Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { inList, keyType } from "./parameter-lists.js";

/**
 * The one lease every kind of background work is claimed under (docs/jobs.md): deliveries, reopen and enrichment
 * jobs, summary comments, backfills and the decay sweep. A claimed row names its holder (`lockedBy`) and the end of
 * its lease (`lockedUntil`); a holder renews while it works; a lease that ran out (its worker died or starved) is
 * taken over by the next claim. Every write that settles a row is fenced by its holder, so a worker whose lease was
 * taken over changes nothing and learns it lost the row. One set of queries serves both engines; only PostgreSQL's
 * `FOR UPDATE SKIP LOCKED` differs (replicas claim disjoint batches; SQLite has one writer at a time).
 */
/** A piece of SQL the store builds for a worker to pass back (an outcome's SET, a claim's WHERE). */
export type SqlFragment = Sql.Sql;

export interface LeasedTable {
  /** for logs: "reopen", "delivery" */
  kind: string;
  table: string;
  /** the primary key column; the lease is in every table's `lockedBy` (the holder) and `lockedUntil` (its end) */
  key: string;
  /** rows that may be claimed now besides those whose lease ran out (already excludes held rows) */
  ready(now: Date): Sql.Sql;
  /** rows that are held, so an expired lease on one can be taken over */
  held: Sql.Sql;
  /** claim order, oldest due first */
  order: Sql.Sql;
  /** what else a claim sets (`"state" = 'running'`, the attempt count) */
  onClaim(now: Date): Sql.Sql;
  /** what else handing a row back unstarted sets (undoing onClaim's attempt count) */
  onRelease?: Sql.Sql;
  /** rows with work to do that nobody holds: due now, or waiting for a retry (`closeloop status`, `/metrics`) */
  waiting(now: Date): Sql.Sql;
  /** rows given up on; null when the kind never gives up (its failures fall back to other work) */
  dead: Sql.Sql | null;
  /** what puts a dead row back to work with a fresh attempt budget (`closeloop retry --dead`); null: not retriable */
  revive: ((now: Date) => Sql.Sql) | null;
}

export type LeaseKey = number | string | bigint;

/** Who holds a claim and for how long. */
export interface Holder {
  owner: string;
  leaseMs: number;
}

type Db = Prisma | Transaction;

const identifier = (name: string) => Sql.raw(`"${name}"`);
/** One vocabulary for every leased table (docs/jobs.md): the claim, renew, settle and release below are written once. */
const LOCKED_BY = identifier("lockedBy");
const LOCKED_UNTIL = identifier("lockedUntil");
/** The rows of `keys`: one statement text whatever their number (parameter-lists.ts). */
const keyed = (db: Db, table: LeasedTable, keys: readonly LeaseKey[]) =>
  inList(engineOf(db as Prisma), identifier(table.key), keyType(keys), keys);

/** A row held by `owner`: the fence on every write that renews or settles a lease. */
function heldBy(table: LeasedTable, owner: string): Sql.Sql {
  return Sql.sql`${LOCKED_BY} = ${owner} AND ${table.held}`;
}

/**
 * Leases up to `limit` claimable rows (ready, or held under a lease that ran out) for `holder`, in the table's order,
 * narrowed by `where`; returns their keys as `key`, with the `returning` columns.
 */
export async function claimLeases<Row extends { key: LeaseKey }>(
  prisma: Prisma,
  engine: Engine,
  table: LeasedTable,
  holder: Holder & { limit: number; where?: Sql.Sql | undefined; returning?: Sql.Sql | undefined },
  now = new Date(),
): Promise<Row[]> {
  if (holder.limit <= 0) return [];
  const name = identifier(table.table);
  const expired = Sql.sql`(${table.held} AND ${LOCKED_UNTIL} < ${now})`;
  const claimable = Sql.sql`(${table.ready(now)} OR ${expired})${holder.where === undefined ? Sql.empty : Sql.sql` AND ${holder.where}`}`;
  // On SQLite a read first: workers poll, and an UPDATE takes the write lock even when it matches nothing. PostgreSQL's
  // UPDATE that matches nothing locks and writes nothing, so there the read would only be a second round trip for
  // every claim that finds work (P8, #25).
  if (engine === "sqlite") {
    const any = await prisma.$queryRaw<unknown[]>`SELECT 1 FROM ${name} WHERE ${claimable} LIMIT 1`;
    if (any.length === 0) return [];
  }
  const key = identifier(table.key);
  const lock = engine === "postgresql" ? Sql.sql`FOR UPDATE SKIP LOCKED` : Sql.empty;
  return prisma.$queryRaw<Row[]>`UPDATE ${name}
      SET ${LOCKED_BY} = ${holder.owner}, ${LOCKED_UNTIL} = ${new Date(now.getTime() + holder.leaseMs)}, ${table.onClaim(now)}
      WHERE ${key} IN (SELECT ${key} FROM ${name} WHERE ${claimable} ORDER BY ${table.order} LIMIT ${holder.limit} ${lock})
      RETURNING ${key} AS "key"${holder.returning === undefined ? Sql.empty : Sql.sql`, ${holder.returning}`}`;
}

/** Extends the leases `owner` still holds; returns the keys it no longer holds (taken over after its lease ran out). */
export async function renewLeases<Key extends LeaseKey>(
  prisma: Prisma,
  table: LeasedTable,
  holder: Holder,
  keys: readonly Key[],
  now = new Date(),
): Promise<Key[]> {
  return updateAllLeased(
    prisma,
    table,
    holder.owner,
    keys,
    Sql.sql`${LOCKED_UNTIL} = ${new Date(now.getTime() + holder.leaseMs)}`,
  );
}

/**
 * Writes `set` to a row `owner` holds (and for which `and` holds): an outcome (done, retry later, dead: `set` then
 * gives the lease up with `unlocked`) or progress (a page stored, a note posted). False when `owner` no longer holds
 * it, or `and` does not hold: nothing was written.
 */
export async function updateLeased(
  db: Db,
  table: LeasedTable,
  owner: string,
  key: LeaseKey,
  set: Sql.Sql,
  and?: Sql.Sql,
): Promise<boolean> {
  const count = await db.$executeRaw`UPDATE ${identifier(table.table)} SET ${set}
      WHERE ${identifier(table.key)} = ${key} AND ${heldBy(table, owner)}${and === undefined ? Sql.empty : Sql.sql` AND ${and}`}`;
  return count === 1;
}

/**
 * Writes `set` (which may tell the rows apart by their keys) on several held rows in one statement; returns those
 * taken over meanwhile (not written).
 */
export async function updateAllLeased<Key extends LeaseKey>(
  db: Db,
  table: LeasedTable,
  owner: string,
  keys: readonly Key[],
  set: Sql.Sql,
): Promise<Key[]> {
  if (keys.length === 0) return [];
  const rows = await db.$queryRaw<{ key: Key }[]>`UPDATE ${identifier(table.table)} SET ${set}
      WHERE ${keyed(db, table, keys)} AND ${heldBy(table, owner)} RETURNING ${identifier(table.key)} AS "key"`;
  const written = new Set(rows.map((row) => String(row.key)));
  return keys.filter((key) => !written.has(String(key)));
}

/**
 * Deletes a held row whose work is done (a delivery leaves the inbox), if `and` holds too. False when `owner` no
 * longer holds it, or `and` does not hold.
 */
export async function deleteLeased(
  db: Db,
  table: LeasedTable,
  owner: string,
  key: LeaseKey,
  and?: Sql.Sql,
): Promise<boolean> {
  const count = await db.$executeRaw`DELETE FROM ${identifier(table.table)}
      WHERE ${identifier(table.key)} = ${key} AND ${heldBy(table, owner)}${and === undefined ? Sql.empty : Sql.sql` AND ${and}`}`;
  return count === 1;
}

/**
 * Deletes the held rows whose work is done in one statement (a batch of deliveries leaves the inbox together); returns
 * the keys `owner` no longer held, which were not deleted.
 */
export async function deleteAllLeased(
  db: Db,
  table: LeasedTable,
  owner: string,
  keys: readonly LeaseKey[],
): Promise<LeaseKey[]> {
  if (keys.length === 0) return [];
  const rows = await db.$queryRaw<{ key: LeaseKey }[]>`DELETE FROM ${identifier(table.table)}
      WHERE ${keyed(db, table, keys)} AND ${heldBy(table, owner)} RETURNING ${identifier(table.key)} AS "key"`;
  const deleted = new Set(rows.map((row) => String(row.key)));
  return keys.filter((key) => !deleted.has(String(key)));
}

/** Rows `owner` claimed but never started (it is stopping): claimable again at once, the claim not counted. */
export async function releaseLeases(
  prisma: Prisma,
  table: LeasedTable,
  owner: string,
  keys: readonly LeaseKey[],
): Promise<void> {
  if (keys.length === 0) return;
  await prisma.$executeRaw`UPDATE ${identifier(table.table)} SET ${LOCKED_BY} = NULL, ${LOCKED_UNTIL} = NULL${table.onRelease === undefined ? Sql.empty : Sql.sql`, ${table.onRelease}`}
      WHERE ${keyed(prisma, table, keys)} AND ${heldBy(table, owner)}`;
}

/** The SET that gives a lease up, for an outcome's `set`. */
export function unlocked(): Sql.Sql {
  return Sql.sql`${LOCKED_BY} = NULL, ${LOCKED_UNTIL} = NULL`;
}

/** The SET that gives a lease up and makes the row claimable again at `at` (a retry), where `ready` reads it so. */
export function retryFrom(at: Date): Sql.Sql {
  return Sql.sql`${LOCKED_BY} = NULL, ${LOCKED_UNTIL} = ${at}`;
}

/** The SET that extends a lease to `until`, for progress; with `set`, written in the same statement. */
export function extended(until: Date, set?: Sql.Sql): Sql.Sql {
  return set === undefined ? Sql.sql`${LOCKED_UNTIL} = ${until}` : Sql.sql`${LOCKED_UNTIL} = ${until}, ${set}`;
}

/** A kind's rows by state, for `closeloop status` and `/metrics`. */
export interface JobCounts {
  pending: number;
  running: number;
  dead: number;
}

const countWhen = (when: Sql.Sql) => Sql.sql`COALESCE(SUM(CASE WHEN ${when} THEN 1 ELSE 0 END), 0)`;

/** How many rows of the table wait, are held, or are dead: one query, only over those rows. */
export async function countJobs(prisma: Prisma, table: LeasedTable, now = new Date()): Promise<JobCounts> {
  const dead = table.dead ?? Sql.sql`1 = 0`;
  const [row] = await prisma.$queryRaw<{ pending: unknown; running: unknown; dead: unknown }[]>`SELECT
      ${countWhen(table.waiting(now))} AS "pending", ${countWhen(table.held)} AS "running", ${countWhen(dead)} AS "dead"
      FROM ${identifier(table.table)} WHERE (${table.waiting(now)}) OR (${table.held}) OR (${dead})`;
  // PostgreSQL's SUM is a bigint (or a numeric): numbers here, whatever the driver made of it.
  return { pending: Number(row?.pending ?? 0), running: Number(row?.running ?? 0), dead: Number(row?.dead ?? 0) };
}

/** Every dead row of the table back to work, with a fresh attempt budget; returns how many. */
export async function reviveDead(prisma: Prisma, table: LeasedTable, now = new Date()): Promise<number> {
  if (table.dead === null || table.revive === null) return 0;
  return prisma.$executeRaw`UPDATE ${identifier(table.table)} SET ${table.revive(now)} WHERE ${table.dead}`;
}
