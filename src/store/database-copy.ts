import { existsSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import type { DatabaseTarget } from "../config/database-url.js";
import { DatabaseMissing } from "./database.js";
import { HEARTBEAT_STALE_MS } from "./heartbeats.js";
import {
  connectPostgres,
  HISTORY_QUERY,
  migrate,
  MigrationError,
  readMigrationFiles,
  toApplied,
  unopenableSqlite,
  type HistoryRow,
} from "./migrations.js";
import { planMigrations } from "./migration-plan.js";

type SqliteTarget = DatabaseTarget & { engine: "sqlite" };
type PostgresTarget = DatabaseTarget & { engine: "postgresql" };

/**
 * The copy was refused before a row was written (the source or the target is not one it may copy), or undone (a value
 * that does not fit its column): docs/moving-to-postgresql.md.
 */
export class CopyRefused extends Error {
  override name = "CopyRefused";
}

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
  seconds: number;
  /** the table's last report */
  done: boolean;
}

export interface CopyOptions {
  /** told the progress of each table: every second while it is copied, then once when it is done */
  progress?: (progress: CopyProgress) => void;
  /** how long to wait for SQLite's write lock while another process holds it */
  lockWaitMs?: number;
  /** told what went wrong after the copy was committed (the statistics) */
  warn?: (message: string) => void;
}

export interface CopyResult {
  /** each table with the rows copied, in the order they were written */
  tables: { name: string; rows: number }[];
  rows: number;
  seconds: number;
}

/** The migration history: Prisma's table, written by each side's own migrations, never copied. */
const HISTORY_TABLE = "_prisma_migrations";
/** rows per INSERT: a batch in memory is small whatever the table, and the round trips few */
const BATCH_ROWS = 2000;
/**
 * characters of text per INSERT, at most (a row is never split): a batch's column goes to PostgreSQL as one array's
 * text, and 2,000 rows of large payloads (GitHub's reach hundreds of kB) would outgrow the memory of a batch, up to
 * V8's longest string
 */
const BATCH_CHARACTERS = 32 * 1024 * 1024;
const PROGRESS_MS = 1000;

/**
 * Copies every row of the SQLite database `source` into the PostgreSQL database `target`, which must hold none of
 * closeloop's rows, after migrating it: one transaction on the target (all or nothing), rows streamed from SQLite in
 * batches. What is checked first, and why each type converts as it does: docs/moving-to-postgresql.md.
 */
export async function copyDatabase(
  source: SqliteTarget,
  target: PostgresTarget,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const started = performance.now();
  if (!existsSync(source.path)) throw new DatabaseMissing(source);
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(source.path, { fileMustExist: true, timeout: options.lockWaitMs ?? 10_000 });
  } catch (error) {
    throw unopenableSqlite(source.path, error);
  }
  try {
    checkSourceLevel(sqlite, source);
    checkNoServer(sqlite, source, new Date());
    // SQLite's write lock from here to the end, before the target is touched: a server started meanwhile cannot write
    // what the copy would miss (its writes wait, then fail), and one that is writing refuses the copy.
    lockSource(sqlite, source);
    try {
      return await copyLocked(sqlite, source, target, options, started);
    } finally {
      sqlite.exec("ROLLBACK");
    }
  } finally {
    sqlite.close();
  }
}

function lockSource(sqlite: BetterSqlite3.Database, source: SqliteTarget): void {
  try {
    sqlite.exec("BEGIN IMMEDIATE");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "SQLITE_BUSY") throw error;
    throw new CopyRefused(
      `another process is writing to ${source.display} (a closeloop server?): stop it, then run copy-database again`,
    );
  }
}

async function copyLocked(
  sqlite: BetterSqlite3.Database,
  source: SqliteTarget,
  target: PostgresTarget,
  options: CopyOptions,
  started: number,
): Promise<CopyResult> {
  const client = await connectPostgres(target);
  try {
    await checkTargetEmpty(client, target);
  } finally {
    await client.end();
  }
  await migrate(target);
  const postgres = await connectPostgres(target);
  try {
    const tables = await planTables(sqlite, postgres, source, target);
    await postgres.query("BEGIN");
    const copied: CopyResult["tables"] = [];
    try {
      // Two copies into one target: the second waits here for the first to end, then finds its rows and is refused,
      // rather than both passing the check above and writing beside each other.
      await postgres.query(`SELECT pg_advisory_xact_lock(hashtextextended('closeloop copy-database', 0))`);
      await checkTargetEmpty(postgres, target);
      // A hosted server's statement_timeout would stop one table's index build or a big batch half-way; the copy is
      // one transaction, so it would start over from nothing.
      await postgres.query("SET LOCAL statement_timeout = 0");
      for (const table of tables) {
        // A table's secondary indexes are built once its rows are in: one sort each, instead of an insert at a random
        // place of each index for every row (what the bench's seeds do too). The primary keys stay, so do the foreign
        // keys that reference them; a unique index built afterwards still refuses a duplicate, failing the copy.
        const indexes = await secondaryIndexes(postgres, table.name);
        for (const index of indexes) await postgres.query(`DROP INDEX ${quote(index.name)}`);
        copied.push({ name: table.name, rows: await copyTable(sqlite, postgres, table, options) });
        for (const index of indexes) await postgres.query(index.definition);
      }
      await setSequences(sqlite, postgres, tables);
      await postgres.query("COMMIT");
    } catch (error) {
      // A connection that broke is rolled back by the server itself: the error to tell is the one that stopped the copy.
      await postgres.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    // Planner statistics for the first queries on the new database, before autovacuum gets to it. The copy is
    // committed: a failure here is told, not the copy's (a second run would be refused for the rows).
    await postgres
      .query("ANALYZE")
      .catch((error: unknown) =>
        options.warn?.(
          `the copy is committed, but ANALYZE failed (${error instanceof Error ? error.message : String(error)}): run ANALYZE on ${target.display} before the first queries, or let autovacuum`,
        ),
      );
    return {
      tables: copied,
      rows: copied.reduce((sum, table) => sum + table.rows, 0),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await postgres.end();
  }
}

/** The source must be at exactly this version's migration level, so its tables are the ones the target gets. */
function checkSourceLevel(sqlite: BetterSqlite3.Database, source: SqliteTarget): void {
  let hasHistory: boolean;
  try {
    hasHistory =
      sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(HISTORY_TABLE) !== undefined;
  } catch (error) {
    // SQLite's own message ("file is not a database") does not say which file: DATABASE_URL may name a backup archive.
    if ((error as { code?: unknown }).code !== "SQLITE_NOTADB") throw error;
    throw new CopyRefused(
      `${source.display} is not a SQLite database: point DATABASE_URL at closeloop's database file`,
    );
  }
  if (!hasHistory) throw new CopyRefused(`${source.display} is not migrated: run \`closeloop migrate\` first`);
  const history = (sqlite.prepare(HISTORY_QUERY).all() as HistoryRow[]).map(toApplied);
  let pending: string[];
  try {
    pending = planMigrations(readMigrationFiles("sqlite"), history).map((file) => file.name);
  } catch (error) {
    if (error instanceof MigrationError) throw new CopyRefused(`${source.display}: ${error.message}`);
    throw error;
  }
  if (pending.length > 0)
    throw new CopyRefused(
      `${source.display} has pending migrations (${pending.join(", ")}): run \`closeloop migrate\` with this version first, so both databases are at the same level`,
    );
}

/** A server running on the source would go on writing there after the copy: refused while one was seen lately. */
function checkNoServer(sqlite: BetterSqlite3.Database, source: SqliteTarget, now: Date): void {
  const latest = sqlite
    .prepare(`SELECT "host", "seenAt" FROM "ServerHeartbeat" ORDER BY "seenAt" DESC LIMIT 1`)
    .get() as { host: string; seenAt: string } | undefined;
  if (latest === undefined) return;
  const ago = now.getTime() - readSqliteTime(latest.seenAt, "ServerHeartbeat.seenAt").getTime();
  // A stopped server's heartbeat stays (status shows when one was last seen): only its age tells it stopped.
  if (ago < HEARTBEAT_STALE_MS)
    throw new CopyRefused(
      `a closeloop server on ${latest.host} was seen ${Math.max(0, Math.round(ago / 1000))} s ago on ${source.display}: stop every server first; a stopped one counts as running until ${HEARTBEAT_STALE_MS / 1000} s after its last heartbeat, so try again in ${Math.ceil((HEARTBEAT_STALE_MS - ago) / 1000)} s`,
    );
}

async function checkTargetEmpty(client: pg.Client, target: PostgresTarget): Promise<void> {
  const tables = await postgresTables(client);
  // Without closeloop's migration history, a table is another program's: migrating first would leave closeloop's
  // tables beside it when the copy is then refused for it.
  if (tables.length > 0 && !tables.includes(HISTORY_TABLE))
    throw new CopyRefused(
      `${target.display} holds tables that are not closeloop's (${tables.join(", ")}): copy-database writes only into a database without them; give it a new one (CREATE DATABASE)`,
    );
  for (const name of tables) {
    if (name === HISTORY_TABLE) continue;
    const found = await client.query(`SELECT 1 FROM ${quote(name)} LIMIT 1`);
    if (found.rowCount !== 0)
      throw new CopyRefused(
        `${target.display} already holds data (table ${name} has rows): copy-database writes only into a database without closeloop's rows; give it a new one (CREATE DATABASE)`,
      );
  }
}

async function postgresTables(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return result.rows.map((row) => row.name);
}

interface TablePlan {
  name: string;
  /** each column, with its PostgreSQL type's name (`udt_name`: int4, timestamp…), which its batch is an array of */
  columns: { name: string; arrayType: string; convert: (value: unknown, row: () => string) => unknown }[];
  /** the columns PostgreSQL numbers from a sequence */
  sequences: { column: string; sequence: string }[];
}

/**
 * The tables to copy, parents first, with each column's conversion: read from the two databases, so a table a
 * migration adds is copied without a word here; a table or column on one side only is refused before any row is written.
 */
async function planTables(
  sqlite: BetterSqlite3.Database,
  postgres: pg.Client,
  source: SqliteTarget,
  target: PostgresTarget,
): Promise<TablePlan[]> {
  const sourceTables = (
    sqlite
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ? ORDER BY name`,
      )
      .all(HISTORY_TABLE) as { name: string }[]
  ).map((row) => row.name);
  const targetColumns = await postgres.query<{
    table: string;
    column: string;
    type: string;
    udt: string;
    default: string | null;
  }>(
    `SELECT table_name AS "table", column_name AS "column", data_type AS "type", udt_name AS "udt", column_default AS "default"
     FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> $1 ORDER BY table_name, ordinal_position`,
    [HISTORY_TABLE],
  );
  const targetTables = new Map<string, typeof targetColumns.rows>();
  for (const row of targetColumns.rows) targetTables.set(row.table, [...(targetTables.get(row.table) ?? []), row]);
  const differences: string[] = [];
  for (const name of sourceTables) if (!targetTables.has(name)) differences.push(`table ${name} only in the source`);
  for (const name of targetTables.keys())
    if (!sourceTables.includes(name)) differences.push(`table ${name} only in the target`);
  const plans: TablePlan[] = [];
  for (const name of sourceTables) {
    const columns = targetTables.get(name);
    if (columns === undefined) continue;
    const sourceColumns = (sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map(
      (row) => row.name,
    );
    for (const column of sourceColumns)
      if (!columns.some((found) => found.column === column))
        differences.push(`column ${name}.${column} only in the source`);
    for (const { column } of columns)
      if (!sourceColumns.includes(column)) differences.push(`column ${name}.${column} only in the target`);
    plans.push({
      name,
      columns: columns.map((column) => ({
        name: column.column,
        arrayType: quote(column.udt),
        convert: converter(name, column.column, column.type),
      })),
      sequences: columns
        .filter((column) => column.default?.startsWith("nextval("))
        .map((column) => ({ column: column.column, sequence: "" })),
    });
  }
  if (differences.length > 0)
    throw new CopyRefused(
      `${source.display} and ${target.display} do not have the same tables (${differences.join("; ")}): both must be migrated by this version of closeloop`,
    );
  for (const plan of plans)
    for (const sequence of plan.sequences) {
      const found = await postgres.query<{ name: string }>(`SELECT pg_get_serial_sequence($1, $2) AS name`, [
        quote(plan.name),
        sequence.column,
      ]);
      sequence.sequence = found.rows[0]!.name;
    }
  return parentsFirst(plans, await foreignKeys(postgres));
}

async function foreignKeys(postgres: pg.Client): Promise<{ child: string; parent: string }[]> {
  const result = await postgres.query<{ child: string; parent: string }>(
    `SELECT child.relname AS child, parent.relname AS parent FROM pg_constraint
     JOIN pg_class child ON child.oid = pg_constraint.conrelid JOIN pg_class parent ON parent.oid = pg_constraint.confrelid
     WHERE pg_constraint.contype = 'f' AND child.relnamespace = current_schema()::regnamespace`,
  );
  return result.rows;
}

/** Tables ordered so each comes after the tables its foreign keys name (a key to itself does not count). */
function parentsFirst(plans: TablePlan[], keys: { child: string; parent: string }[]): TablePlan[] {
  const ordered: TablePlan[] = [];
  const placed = new Set<string>();
  const waiting = [...plans];
  while (waiting.length > 0) {
    const ready = waiting.findIndex((plan) =>
      keys.every((key) => key.child !== plan.name || key.parent === plan.name || placed.has(key.parent)),
    );
    if (ready === -1)
      throw new CopyRefused(`the foreign keys of ${waiting.map((plan) => plan.name).join(", ")} form a cycle`);
    const [plan] = waiting.splice(ready, 1);
    ordered.push(plan!);
    placed.add(plan!.name);
  }
  return ordered;
}

/** How a SQLite value (integers read as bigint) is written into a PostgreSQL column of `type`. */
function converter(table: string, column: string, type: string): TablePlan["columns"][number]["convert"] {
  const where = `${table}.${column}`;
  const fail = (value: unknown, row: () => string, expected: string): never => {
    throw new CopyRefused(`${where} of the row ${row()} holds ${describe(value)}, not ${expected}: nothing was copied`);
  };
  switch (type) {
    case "timestamp without time zone":
    case "timestamp with time zone":
      return (value, row) => {
        if (value === null) return null;
        try {
          // A `timestamp` column drops an offset rather than applying it: the instant goes in as UTC.
          return readSqliteTime(value, where).toISOString();
        } catch {
          return fail(value, row, "a time");
        }
      };
    case "boolean":
      return (value, row) =>
        value === null ? null : value === 1n ? true : value === 0n ? false : fail(value, row, "0 or 1");
    case "smallint":
    case "integer":
    case "bigint": {
      // SQLite's integers are all 64-bit: one past a narrower column is refused here, naming its row, rather than by
      // PostgreSQL's "out of range" error, which names neither table nor row.
      const bits = { smallint: 16n, integer: 32n, bigint: 64n }[type];
      const [min, max] = [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n];
      return (value, row) =>
        value === null
          ? null
          : typeof value !== "bigint"
            ? fail(value, row, "an integer")
            : value < min || value > max
              ? fail(value, row, `an integer PostgreSQL's ${type} holds (${min} to ${max})`)
              : value.toString();
    }
    case "double precision":
    case "real":
    case "numeric":
      return (value, row) =>
        value === null
          ? null
          : typeof value === "bigint" || typeof value === "number"
            ? String(value)
            : fail(value, row, "a number");
    case "text":
    case "character varying":
    case "json":
    case "jsonb":
      // SQLite's text may hold a NUL character (a GitHub title parsed from "\u0000"), PostgreSQL's cannot: refused
      // here, naming the row, rather than by PostgreSQL's error, which names neither table nor row.
      return (value, row) =>
        value === null
          ? null
          : typeof value === "string"
            ? value.includes("\u0000")
              ? fail(value, row, "text PostgreSQL can hold (it has a NUL character)")
              : value
            : typeof value === "bigint" || typeof value === "number"
              ? String(value)
              : fail(value, row, "text");
    case "bytea":
      return (value, row) => (value === null || Buffer.isBuffer(value) ? value : fail(value, row, "bytes"));
    default:
      throw new CopyRefused(`${where} is a PostgreSQL ${type}, which copy-database does not know how to write`);
  }
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : `${typeof value} ${String(value)}`;
}

/**
 * SQLite keeps a DateTime as text: ISO 8601 with "+00:00" or "Z" as Prisma's adapter and the inbox writer write it,
 * "YYYY-MM-DD HH:MM:SS" (UTC) from a migration's CURRENT_TIMESTAMP default; or as milliseconds since 1970.
 */
export function readSqliteTime(value: unknown, where: string): Date {
  let date: Date | undefined;
  if (typeof value === "bigint" || typeof value === "number") date = new Date(Number(value));
  if (typeof value === "string") {
    const parts = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?) ?(Z|[+-]\d\d:?\d\d)?$/i.exec(value.trim());
    if (parts) date = new Date(`${parts[1]}T${parts[2]}${parts[3] ?? "Z"}`);
  }
  if (date === undefined || Number.isNaN(date.getTime()))
    throw new CopyRefused(`${where}: ${describe(value)} is not a time`);
  return date;
}

async function copyTable(
  sqlite: BetterSqlite3.Database,
  postgres: pg.Client,
  table: TablePlan,
  options: CopyOptions,
): Promise<number> {
  const started = performance.now();
  const total = Number((sqlite.prepare(`SELECT count(*) AS n FROM ${quote(table.name)}`).get() as { n: number }).n);
  const columns = table.columns.map((column) => quote(column.name)).join(", ");
  // A batch is one array per column, unnested into rows: one statement text whatever the batch's size, named so
  // PostgreSQL parses and plans it once per table, and no parameter per value to bind (Link's rows went in at 41,000 a
  // second, from 22,000 with a multi-row VALUES, at 1M links on the bench: load 6 and 8).
  const insert = {
    name: `closeloop_copy_${table.name}`,
    text: `INSERT INTO ${quote(table.name)} (${columns}) SELECT * FROM unnest(${table.columns
      .map((column, i) => `$${i + 1}::${column.arrayType}[]`)
      .join(", ")})`,
  };
  const read = sqlite.prepare(`SELECT rowid AS "rowid", ${columns} FROM ${quote(table.name)}`).safeIntegers(true);
  const empty = () => table.columns.map((): unknown[] => []);
  let batch = empty();
  let rows = 0;
  let characters = 0;
  let copied = 0;
  let reported = performance.now();
  const report = (done: boolean) =>
    options.progress?.({ table: table.name, copied, total, seconds: (performance.now() - started) / 1000, done });
  const flush = async () => {
    await postgres.query({ ...insert, values: batch });
    copied += rows;
    batch = empty();
    rows = 0;
    characters = 0;
  };
  for (const row of read.iterate() as Iterable<Record<string, unknown>>) {
    const rowId = () => `rowid ${String(row.rowid)}`;
    table.columns.forEach((column, i) => {
      const value = column.convert(row[column.name], rowId);
      if (typeof value === "string") characters += value.length;
      batch[i]!.push(value);
    });
    if (++rows < BATCH_ROWS && characters < BATCH_CHARACTERS) continue;
    await flush();
    if (performance.now() - reported >= PROGRESS_MS) {
      reported = performance.now();
      report(false);
    }
  }
  if (rows > 0) await flush();
  report(true);
  return copied;
}

/** A table's indexes but its primary key and those a constraint owns, with the statement that makes each. */
async function secondaryIndexes(postgres: pg.Client, table: string): Promise<{ name: string; definition: string }[]> {
  const result = await postgres.query<{ name: string; definition: string }>(
    `SELECT index.relname AS name, pg_get_indexdef(index.oid) AS definition
     FROM pg_index JOIN pg_class index ON index.oid = pg_index.indexrelid JOIN pg_class owner ON owner.oid = pg_index.indrelid
     WHERE owner.relname = $1 AND owner.relnamespace = current_schema()::regnamespace AND NOT pg_index.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE pg_constraint.conindid = pg_index.indexrelid)
     ORDER BY index.relname`,
    [table],
  );
  return result.rows;
}

/**
 * PostgreSQL's sequences were bypassed by the ids copied: each goes past the largest, or past SQLite's own counter
 * (`sqlite_sequence`, AUTOINCREMENT's) when higher, so an id once used and deleted is not given again.
 */
async function setSequences(sqlite: BetterSqlite3.Database, postgres: pg.Client, tables: TablePlan[]): Promise<void> {
  const hasCounters =
    sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'`).get() !== undefined;
  const counter = hasCounters
    ? sqlite.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).safeIntegers(true)
    : undefined;
  for (const table of tables)
    for (const { column, sequence } of table.sequences) {
      const used = (counter?.get(table.name) as { seq: bigint } | undefined)?.seq ?? 0n;
      await postgres.query(
        `SELECT setval($1::regclass, GREATEST((SELECT max(${quote(column)}) FROM ${quote(table.name)}), $2::bigint, 1), GREATEST((SELECT max(${quote(column)}) FROM ${quote(table.name)}), $2::bigint) > 0)`,
        [sequence, used.toString()],
      );
    }
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
