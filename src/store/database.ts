import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.js";
import { parseDatabaseUrl, type DatabaseTarget, type Engine } from "../config/database-url.js";
import type { Prisma } from "./client.js";
import {
  HISTORY_QUERY,
  migrate,
  readMigrationFiles,
  toApplied,
  unopenableSqlite,
  type HistoryRow,
} from "./migrations.js";
import { planMigrations, type MigrationFile } from "./migration-plan.js";
import { RepositoryRows } from "./repositories.js";
import { statementNames } from "./statement-names.js";

export type { Prisma, Transaction } from "./client.js";

/**
 * The engine behind a client, for the few statements whose SQL differs: the generated client names its provider
 * (`activeProvider` in its config, kept on the instance as `_activeProvider`); a client that does not say is SQLite's.
 */
export function engineOf(prisma: Prisma): Engine {
  return (prisma as unknown as { _activeProvider?: unknown })._activeProvider === "postgresql"
    ? "postgresql"
    : "sqlite";
}

export interface Database {
  engine: Engine;
  target: DatabaseTarget;
  prisma: Prisma;
  /** the repository rows this client saw committed: what the writes that need a repository's row skip writing */
  repositoryRows: RepositoryRows;
  close(): Promise<void>;
}

/** What a write that may create a repository's row takes: the client, and the rows it is known to hold. */
export type DatabaseHandle = Pick<Database, "prisma" | "repositoryRows">;

/** A command that only reads found no database where DATABASE_URL points: nothing was created. */
export class DatabaseMissing extends Error {
  override name = "DatabaseMissing";
  constructor(target: DatabaseTarget) {
    super(
      `no database at ${target.engine === "sqlite" ? target.path : target.display}: check DATABASE_URL and the folder you run in`,
    );
  }
}

export interface OpenOptions {
  /** apply pending migrations first (the server and `closeloop migrate` do; other CLI commands do not) */
  migrate?: boolean;
  /**
   * the database must exist already (commands that read): a missing SQLite file is a DatabaseMissing instead of a new,
   * empty database in whatever folder the command ran in
   */
  existing?: boolean;
  /** PostgreSQL pool size per process */
  poolSize?: number;
  /**
   * told the SQL of every statement the client sends (COMMIT included): how tests count the round trips an operation
   * costs (test/support/statements.ts)
   */
  onStatement?: (sql: string) => void;
}

export async function openDatabase(
  url: string | DatabaseTarget | undefined,
  options: OpenOptions = {},
): Promise<Database> {
  const target = typeof url === "object" ? url : parseDatabaseUrl(url);
  if (options.existing && target.engine === "sqlite" && target.path !== ":memory:" && !existsSync(target.path))
    throw new DatabaseMissing(target);
  if (options.migrate) await migrate(target);
  const prisma = createClient(target, options);
  await prisma.$connect().catch((error: unknown) => {
    // A SQLite file that is there but cannot be opened (a folder, one the process may not read): named with what to
    // fix, as the migration's open names it (`closeloop status` and the commands that only read do not migrate).
    throw target.engine === "sqlite" ? unopenableSqlite(target.path, error) : error;
  });
  if (target.engine === "sqlite") {
    // WAL (set by the migrations, persistent) with synchronous=NORMAL: a commit survives a crash of the process,
    // which is the failure closeloop promises to survive; only an OS crash or power cut can lose the last commits.
    await prisma.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
    await prisma.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  }
  return {
    engine: target.engine,
    target,
    prisma,
    repositoryRows: new RepositoryRows(prisma, target.engine),
    close: () => prisma.$disconnect(),
  };
}

function createClient(target: DatabaseTarget, options: OpenOptions): Prisma {
  const log = options.onStatement ? { log: [{ emit: "event" as const, level: "query" as const }] } : {};
  let prisma: Prisma;
  if (target.engine === "sqlite") {
    if (target.path !== ":memory:") mkdirSync(dirname(target.path), { recursive: true });
    prisma = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: target.path, timeout: 10_000 }), ...log });
  } else {
    const adapter = new PrismaPg(
      { connectionString: target.connectionString, max: options.poolSize ?? 10 },
      { statementNameGenerator: statementNames() },
    );
    // Same model, same API: see `Prisma` in client.ts.
    prisma = new PostgresClient({ adapter, ...log }) as unknown as Prisma;
  }
  const onStatement = options.onStatement;
  if (onStatement) (prisma as unknown as QueryEvents).$on("query", (event) => onStatement(event.query));
  return prisma;
}

/** `$on` of a client built with query events (its type depends on the options it was built with). */
interface QueryEvents {
  $on(event: "query", listener: (event: { query: string }) => void): void;
}

export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** `/readyz` and `closeloop status`: the database answers and every migration is applied. */
export async function checkReadiness(
  database: Database,
  files: readonly MigrationFile[] = readMigrationFiles(database.engine),
): Promise<Readiness> {
  let history: HistoryRow[];
  try {
    await database.prisma.$queryRawUnsafe("SELECT 1");
  } catch (error) {
    return { ready: false, reason: `cannot reach the database: ${firstLine(error)}` };
  }
  try {
    history = await database.prisma.$queryRawUnsafe<HistoryRow[]>(HISTORY_QUERY);
  } catch {
    return { ready: false, reason: "database not migrated: run `closeloop migrate` or start the server" };
  }
  try {
    const pending = planMigrations(files, history.map(toApplied));
    if (pending.length > 0)
      return { ready: false, reason: `pending migrations: ${pending.map((file) => file.name).join(", ")}` };
  } catch (error) {
    return { ready: false, reason: firstLine(error) };
  }
  return { ready: true };
}

/** Prisma's messages start with where the call was made and end with the reason: keep the reason. */
function firstLine(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error))
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.find((line) => !/^Invalid `.*` invocation/.test(line) && !line.startsWith("→")) ?? lines[0] ?? "";
}
