import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.js";
import { parseDatabaseUrl, type DatabaseTarget, type Engine } from "./database-url.js";
import { migrate, migrationStatus } from "./migrations.js";

/**
 * The one client type the app codes against. Both engines' clients are generated from the same model
 * (prisma/sqlite/schema.prisma, test/store/schema-drift.test.ts), so their query APIs are the same.
 */
export type Prisma = SqliteClient;
export type Transaction = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];

export interface Database {
  engine: Engine;
  target: DatabaseTarget;
  prisma: Prisma;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** apply pending migrations first (the server and `closeloop migrate` do; other CLI commands do not) */
  migrate?: boolean;
  /** PostgreSQL pool size per process */
  poolSize?: number;
}

export async function openDatabase(url: string | undefined, options: OpenOptions = {}): Promise<Database> {
  const target = parseDatabaseUrl(url);
  if (options.migrate) await migrate(target);
  const prisma = createClient(target, options);
  await prisma.$connect();
  return {
    engine: target.engine,
    target,
    prisma,
    close: () => prisma.$disconnect(),
  };
}

function createClient(target: DatabaseTarget, options: OpenOptions): Prisma {
  if (target.engine === "sqlite") {
    if (target.path !== ":memory:") mkdirSync(dirname(target.path), { recursive: true });
    return new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: target.path, timeout: 10_000 }) });
  }
  const adapter = new PrismaPg({ connectionString: target.connectionString, max: options.poolSize ?? 10 });
  // Same model, same API: see the type comment above.
  return new PostgresClient({ adapter }) as unknown as Prisma;
}

export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** `/readyz` and `closeloop status`: the database answers and every migration is applied. */
export async function checkReadiness(database: Database): Promise<Readiness> {
  try {
    await database.prisma.$queryRawUnsafe("SELECT 1");
  } catch (error) {
    return { ready: false, reason: `database unreachable: ${(error as Error).message}` };
  }
  const status = await migrationStatus(database.target);
  if (status.problem) return { ready: false, reason: status.problem };
  if (status.pending.length > 0) return { ready: false, reason: `pending migrations: ${status.pending.join(", ")}` };
  return { ready: true };
}
