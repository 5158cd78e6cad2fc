import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { DatabaseTarget, Engine } from "../config/database-url.js";
import { MigrationError, planMigrations, type AppliedMigration, type MigrationFile } from "./migration-plan.js";

export { MigrationError } from "./migration-plan.js";

// Same place from src/store and dist/store.
const PRISMA_DIR = fileURLToPath(new URL("../../prisma/", import.meta.url));

// Any fixed key works; every closeloop replica must use the same one.
const POSTGRES_MIGRATION_LOCK = 4_272_016_001;

export function readMigrationFiles(engine: Engine, prismaDir = PRISMA_DIR): MigrationFile[] {
  const dir = join(prismaDir, engine, "migrations");
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** why the database cannot be migrated as it is, if it cannot */
  problem?: string;
}

/**
 * Applies the pending migrations under a lock, so replicas starting together migrate once: PostgreSQL takes an
 * advisory lock, SQLite a write transaction around the whole run. Each migration and its history row commit
 * together, so a crash leaves either the old or the new schema.
 */
export async function migrate(target: DatabaseTarget, files = readMigrationFiles(target.engine)): Promise<string[]> {
  const session = await openSession(target);
  try {
    return await session.locked(async () => {
      await session.exec(HISTORY_TABLE[target.engine]);
      const pending = planMigrations(files, await session.history());
      for (const file of pending) await session.apply(file);
      return pending.map((file) => file.name);
    });
  } finally {
    await session.close();
  }
}

export async function migrationStatus(
  target: DatabaseTarget,
  files = readMigrationFiles(target.engine),
): Promise<MigrationStatus> {
  const session = await openSession(target);
  try {
    const history = (await session.hasHistory()) ? await session.history() : [];
    const applied = history.filter((row) => row.finishedAt !== null).map((row) => row.migrationName);
    try {
      const pending = planMigrations(files, history).map((file) => file.name);
      return { applied, pending };
    } catch (error) {
      if (!(error instanceof MigrationError)) throw error;
      return { applied, pending: [], problem: error.message };
    }
  } finally {
    await session.close();
  }
}

interface MigrationSession {
  locked<T>(work: () => Promise<T>): Promise<T>;
  exec(sql: string): Promise<void>;
  hasHistory(): Promise<boolean>;
  history(): Promise<AppliedMigration[]>;
  apply(file: MigrationFile): Promise<void>;
  close(): Promise<void>;
}

// Prisma's own history table, so `prisma migrate status` reads what closeloop applied.
const HISTORY_TABLE: Record<Engine, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
  )`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`,
};

export const HISTORY_QUERY = `SELECT "migration_name", "checksum", "started_at", "finished_at", "logs" FROM "_prisma_migrations"
  WHERE "rolled_back_at" IS NULL ORDER BY "started_at", "migration_name"`;

export interface HistoryRow {
  migration_name: string;
  checksum: string;
  started_at: string | Date;
  finished_at: string | Date | null;
  logs: string | null;
}

export function toApplied(row: HistoryRow): AppliedMigration {
  return {
    migrationName: row.migration_name,
    checksum: row.checksum,
    startedAt: new Date(row.started_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    logs: row.logs,
  };
}

async function openSession(target: DatabaseTarget): Promise<MigrationSession> {
  return target.engine === "sqlite" ? openSqliteSession(target.path) : openPostgresSession(target);
}

/** What the file system and SQLite answer when the database's file or folder cannot be made or written. */
const UNWRITABLE = new Set(["EACCES", "EPERM", "EROFS", "EEXIST", "ENOTDIR", "SQLITE_CANTOPEN", "SQLITE_READONLY"]);

/**
 * The first open of the SQLite file a process makes (the server's start, `closeloop migrate` and `status`): a file it
 * cannot make or write is a MigrationError that names the file, the folder and the uid, not better-sqlite3's "unable
 * to open database file". In the Docker image the app runs as `node` (uid 1000), and a folder bind-mounted at /data is
 * often root's.
 */
function openSqliteFile(path: string): BetterSqlite3.Database {
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    // A long busy timeout: a second replica waits for the first one's migration instead of failing.
    const db = new BetterSqlite3(path, { timeout: 60_000 });
    db.pragma("journal_mode = WAL");
    return db;
  } catch (error) {
    throw unopenableSqlite(path, error);
  }
}

/**
 * Why the SQLite file at `path` could not be opened, as a MigrationError naming the file and what to fix when the file
 * system or SQLite refused it (see openSqliteFile); any other error as it is. Also for the CLI's commands that only
 * read, which open the file that is there without migrating it (openDatabase).
 */
export function unopenableSqlite(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !UNWRITABLE.has(code)) return error;
  const who = process.getuid ? `uid ${process.getuid()}` : "this process";
  // mkdir's EEXIST and ENOTDIR: a file where the path needs a folder.
  const why =
    existsSync(path) && statSync(path).isDirectory()
      ? "it is a folder: DATABASE_URL names the file, e.g. file:/data/closeloop.db"
      : code === "EEXIST" || code === "ENOTDIR"
        ? `a part of ${dirname(path)} is a file, not a folder`
        : `${who} must be able to create and write files in ${dirname(path)}: give it that folder (in Docker, the volume or folder mounted at /data must be writable by uid 1000, the image's node user), or set DATABASE_URL to a file in one it can write`;
  return new MigrationError(`cannot open the SQLite database ${path} (${code}: ${(error as Error).message}): ${why}`);
}

function openSqliteSession(path: string): MigrationSession {
  const db = openSqliteFile(path);
  return {
    async locked(work) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = await work();
        db.exec("COMMIT");
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
    async exec(sql) {
      db.exec(sql);
    },
    async hasHistory() {
      return (
        db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`).get() !==
        undefined
      );
    },
    async history() {
      return (db.prepare(HISTORY_QUERY).all() as HistoryRow[]).map(toApplied);
    },
    async apply(file) {
      // Runs inside the run's write transaction: a failure rolls back this migration with everything before it.
      db.exec(`SAVEPOINT migration`);
      try {
        db.exec(file.sql);
      } catch (error) {
        db.exec(`ROLLBACK TO migration`);
        throw new MigrationError(`migration ${file.name} failed: ${(error as Error).message}`);
      }
      db.exec(`RELEASE migration`);
      const now = new Date().toISOString();
      db.prepare(
        `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "started_at", "applied_steps_count") VALUES (?, ?, ?, ?, ?, 1)`,
      ).run(randomUUID(), file.checksum, now, file.name, now);
    },
    async close() {
      db.close();
    },
  };
}

/**
 * A connection to `target`, or a MigrationError saying on one line which server (its password masked) and what it
 * answered, rather than pg's error with a stack that names neither: the first connection a start or a command makes.
 */
export async function connectPostgres(target: DatabaseTarget & { engine: "postgresql" }): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: target.connectionString });
  try {
    await client.connect();
  } catch (error) {
    throw new MigrationError(`cannot reach the database ${target.display}: ${(error as Error).message}`);
  }
  return client;
}

async function openPostgresSession(target: DatabaseTarget & { engine: "postgresql" }): Promise<MigrationSession> {
  const client = await connectPostgres(target);
  return {
    async locked(work) {
      await client.query("SELECT pg_advisory_lock($1)", [POSTGRES_MIGRATION_LOCK]);
      try {
        return await work();
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [POSTGRES_MIGRATION_LOCK]);
      }
    },
    async exec(sql) {
      await client.query(sql);
    },
    async hasHistory() {
      const result = await client.query(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`);
      return result.rows[0]?.present === true;
    },
    async history() {
      return (await client.query<HistoryRow>(HISTORY_QUERY)).rows.map(toApplied);
    },
    async apply(file) {
      const id = randomUUID();
      await client.query("BEGIN");
      try {
        await client.query(file.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "started_at", "applied_steps_count") VALUES ($1, $2, now(), $3, now(), 1)`,
          [id, file.checksum, file.name],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        const reason = (error as Error).message;
        // Recorded like Prisma does, so the next start refuses to run on a database in doubt until a person looks.
        await client.query(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "logs", "applied_steps_count") VALUES ($1, $2, $3, $4, 0)`,
          [id, file.checksum, file.name, reason],
        );
        throw new MigrationError(`migration ${file.name} failed: ${reason}`);
      }
    },
    async close() {
      await client.end();
    },
  };
}
