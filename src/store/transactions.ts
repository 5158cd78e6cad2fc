import type { RepositoryRef } from "../domain/refs.js";
import type { Prisma, Transaction } from "./client.js";
import { engineOf } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import type { RepositoryRows } from "./repositories.js";

// P2002: a unique row created concurrently by another delivery or replica; P2034: write conflict or deadlock;
// P2003: a row this process remembered writing (a repository) was purged by another replica.
const RETRYABLE = new Set(["P2002", "P2034", "P2003"]);
const ATTEMPTS = 4;

/**
 * Runs `work` in one transaction and runs it again when a concurrent writer got there first: the second run sees
 * the other's rows and converges to the same state. The row every delivery of a repository shares (`repository`)
 * is written ahead of each attempt, outside the transaction, committed at once, so no transaction holds its lock
 * while it does the rest of its round trips. Work that can be one statement (`alone`) needs no transaction: on a
 * database another host away BEGIN and COMMIT are a round trip each (P8, #25).
 */
export async function inTransaction<T>(
  prisma: Prisma,
  work: (tx: Transaction) => Promise<T>,
  options: {
    repository?: { rows: RepositoryRows; ref: RepositoryRef } | undefined;
    /**
     * the work in one statement of its own, tried first: atomic without a transaction, it either does all of the work
     * or, when what it finds needs the transaction, nothing (null); then the transaction runs
     */
    alone?: (() => Promise<T | null>) | undefined;
  } = {},
): Promise<T> {
  const repository = options.repository;
  let alone = options.alone;
  for (let attempt = 1; ; attempt++) {
    try {
      if (repository) await repository.rows.ensure(repository.ref);
      const done = alone === undefined ? null : await alone();
      if (done !== null) return done;
      alone = undefined;
      return await prisma.$transaction(work, { maxWait: 10_000, timeout: 30_000 });
    } catch (error) {
      const code = failureCode(error);
      if (attempt >= ATTEMPTS || code === undefined || !RETRYABLE.has(code)) throw error;
      if (code === "P2003") repository?.rows.forget();
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
    }
  }
}

/** The driver's kinds of a raw statement's failure (P2010) that the model API raises with a code of their own. */
const RAW_FAILURES = new Map<unknown, string>([
  ["ForeignKeyConstraintViolation", "P2003"],
  ["TransactionWriteConflict", "P2034"],
]);

/**
 * Prisma's code for the failure. A raw statement's (`$queryRaw`: the issue's insert, ensureIssue, most of a change's
 * writes) is P2010 whatever went wrong, with the driver's kind of error beside it: read as the code the model API
 * would have raised. A missing repository row is P2003, and only then is the memory of committed rows forgotten and
 * the row written again; a deadlock or serialization failure is P2034 (a backfill page upserts its conversations'
 * enrichment jobs in more than one statement, so a delivery linking the same ones can be the deadlock's victim).
 */
function failureCode(error: unknown): string | undefined {
  const { code, meta } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  const raw = code === "P2010" ? RAW_FAILURES.get(meta?.driverAdapterError?.cause?.kind) : undefined;
  return raw ?? (typeof code === "string" ? code : undefined);
}

/**
 * Two writes of one transaction that neither reads the other's rows of, sent as one statement on PostgreSQL
 * (`alongside` in a WITH, which PostgreSQL runs to completion whether or not it is read) and as two on SQLite, which
 * has no data-modifying WITH: on a database another host away each statement is a round trip (P8, #25). Returns
 * `main`'s row count (0 without it).
 */
export async function executeAlongside(
  tx: Transaction,
  main: Sql.Sql | null,
  alongside: Sql.Sql | null,
): Promise<number> {
  if (main === null) {
    if (alongside !== null) await tx.$executeRaw(alongside);
    return 0;
  }
  return sendAlongside(tx, main, alongside, (sql) => tx.$executeRaw(sql));
}

/** executeAlongside for a `main` that returns rows (`RETURNING`): its rows. */
export function queryAlongside<Row>(tx: Transaction, main: Sql.Sql, alongside: Sql.Sql | null): Promise<Row[]> {
  return sendAlongside(tx, main, alongside, (sql) => tx.$queryRaw<Row[]>(sql));
}

async function sendAlongside<T>(
  tx: Transaction,
  main: Sql.Sql,
  alongside: Sql.Sql | null,
  send: (sql: Sql.Sql) => Promise<T>,
): Promise<T> {
  if (alongside === null) return send(main);
  if (engineOf(tx as Prisma) === "postgresql") return send(Sql.sql`WITH "alongside" AS (${alongside}) ${main}`);
  await tx.$executeRaw(alongside);
  return send(main);
}
