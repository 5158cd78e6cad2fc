import pino from "pino";
import { Probot } from "probot";
import { closeloopApp, handlesEvent } from "../src/app.js";
import type { Engine } from "../src/config/database-url.js";
import { GithubMemory } from "../src/github/memory.js";
import { RepositoryPermissions } from "../src/github/permissions.js";
import { RepoConfigCache } from "../src/github/repo-config-cache.js";
import { DeliveryInbox } from "../src/http/delivery-inbox.js";
import { githubInbox } from "../src/http/webhook-inbox.js";
import { DeliveryWorker } from "../src/jobs/delivery-worker.js";
import { IssueMarkingsWorker } from "../src/jobs/issue-markings-worker.js";
import { urlMatchers } from "../src/providers/url-matchers.js";
import type { Database } from "../src/store/database.js";
import { openDeliveryWriter } from "../src/store/delivery-writer.js";
import { DONE_ENRICHMENT_KEPT_MS, purgeDoneEnrichment } from "../src/store/enrich-jobs.js";
import { FakeGitHub } from "../test/fakes/github-server.js";
import { TestOctokit } from "../test/support/github.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import { openMigratedDatabase } from "./bench-database.js";
import { commentPayloads } from "./replicas.js";

// Database growth (#25): what closeloop keeps per link and per delivery, and how big the database gets. Signed
// issue_comment deliveries (P8's payloads: one issue each, one conversation URL each) go through the server's own
// path in process: signature check and inbox (githubInbox, DeliveryInbox), then the delivery worker runs the
// handlers, then the markings job applies the labels against test/fakes/github-server.ts over loopback.

/** Tables whose rows are only needed until closeloop has processed them: they must not grow with the links. */
export const PROCESSING_ONLY: Readonly<Record<string, string>> = {
  Delivery: "the webhook inbox: a delivery leaves it once handled (dead ones stay 30 days)",
};

/**
 * Job tables: a row per piece of helpdesk work, pending here (this section runs no helpdesk worker); a done row stays,
 * so their growth per link holds in production too.
 */
export const JOB_TABLES: Readonly<Record<string, string>> = {
  EnrichJob: "job: one per conversation, deleted a day after it is done",
  LinkNote: "job: one per issue and conversation, ever (it keeps a link from being noted twice)",
  ReopenJob: "job: one per conversation to reopen, kept when done",
};

export interface TableGrowth {
  table: string;
  rows: number;
}

/** One table or index and the bytes it takes (SQLite: its pages in dbstat; PostgreSQL: pg_table_size, TOAST included, or pg_relation_size). */
export interface ObjectSize {
  name: string;
  table: string;
  index: boolean;
  bytes: number;
}

/** The database at one moment: Link rows, its size (as `bytes` below) and its free pages. */
export interface SizeAt {
  links: number;
  bytes: number;
  freeBytes: number;
}

export interface GrowthFigures {
  engine: Engine;
  deliveries: number;
  /** Link rows stored at the end */
  links: number;
  tables: TableGrowth[];
  /** the database's size when migrated and empty, and at the end (SQLite: after a WAL checkpoint), in bytes */
  emptyBytes: number;
  bytes: number;
  /** bytes inside the database free for later writes (rows deleted, the inbox's among them): see freeBytes */
  freeBytes: number;
  /** after the first half of the deliveries */
  halfway: SizeAt;
  /** a day later: after the trims the server makes once the helpdesk worker has done the jobs (see sizeAfterTrims) */
  trimmed: SizeAt;
  /** every table and index at the end, the biggest first */
  objects: ObjectSize[];
  seconds: number;
}

const SECRET = "growth bench webhook secret";
/** deliveries stored at once: a burst the inbox commits together, as it does for concurrent requests */
const IN_FLIGHT = 16;
const TEN_MILLION = 10_000_000;
/** tables and indexes printed by size */
const BIGGEST = 12;

/** Delivers `deliveries` signed issue_comment webhooks into a new database at `url`, processes them, and measures. */
export async function measureGrowth(url: string, deliveries: number): Promise<GrowthFigures> {
  const database = await openMigratedDatabase(url);
  const github = new FakeGitHub();
  const host = await github.start();
  const writer = openDeliveryWriter(database.target, console);
  let halfway: SizeAt | undefined;
  try {
    const emptyBytes = await databaseBytes(database);
    const log = pino({ level: "silent" });
    const probot = new Probot({
      appId: 4242,
      privateKey: PRIVATE_KEY,
      secret: SECRET,
      baseUrl: `http://${host}`,
      Octokit: TestOctokit,
      log,
    });
    const configs = new RepoConfigCache(database, log);
    const memory = new GithubMemory();
    const markings = new IssueMarkingsWorker(
      {
        prisma: database.prisma,
        engine: database.engine,
        github: (id) => probot.auth(id),
        configs,
        memory,
        log,
      },
      { coalesceMs: 0 },
    );
    await probot.load(
      closeloopApp({
        prisma: database.prisma,
        repositoryRows: database.repositoryRows,
        configs,
        memory,
        matchers: urlMatchers,
        appId: 4242,
        permissions: new RepositoryPermissions(),
        githubApp: () => probot.auth(),
        // The markings job runs once all deliveries are handled, as the server's worker would after the burst.
        labelsWanted: async () => {},
      }),
    );
    const inbox = new DeliveryInbox(writer, () => {});
    const receive = githubInbox(SECRET, handlesEvent, (delivery) => inbox.store(delivery));
    const worker = new DeliveryWorker(
      database.prisma,
      database.engine,
      (delivery) =>
        probot.receive({ id: delivery.id, name: delivery.name, payload: JSON.parse(delivery.payload) } as Parameters<
          typeof probot.receive
        >[0]),
      log,
    );

    const started = performance.now();
    const payloads = commentPayloads(deliveries, 1);
    // Two halves, each stored then processed: the second half's growth shows whether the space the first half's
    // processed deliveries left is used again (then the size follows the live data), or adds up.
    const half = Math.ceil(payloads.length / 2);
    for (const [from, to] of [
      [0, half],
      [half, payloads.length],
    ] as const) {
      for (let first = from; first < to; first += IN_FLIGHT) {
        await Promise.all(
          payloads.slice(first, Math.min(first + IN_FLIGHT, to)).map(async (payload, i) =>
            receive({
              id: `growth-${first + i}`,
              name: "issue_comment",
              signature: await probot.webhooks.sign(payload),
              body: Buffer.from(payload),
            }),
          ),
        );
      }
      await worker.drain();
      await markings.drain();
      if (from === 0) halfway = await sizeAt(database);
    }
    const seconds = (performance.now() - started) / 1000;

    const tables: TableGrowth[] = [];
    for (const table of await tableNames(database)) tables.push({ table, rows: await count(database, table) });
    const end = await sizeAt(database);
    const objects = await objectSizes(database);
    const trimmed = await sizeAfterTrims(database);
    return {
      engine: database.engine,
      deliveries,
      links: end.links,
      tables,
      emptyBytes,
      bytes: end.bytes,
      freeBytes: end.freeBytes,
      halfway: halfway!,
      trimmed,
      objects,
      seconds,
    };
  } finally {
    await writer.close();
    await github.stop();
    await database.close();
  }
}

/** Growth per link: the bytes the database grew by for each Link row stored. */
export const bytesPerLink = (figures: GrowthFigures) => (figures.bytes - figures.emptyBytes) / figures.links;

/** Growth per link of what is in use: free pages (SQLite), which later writes fill first, left out. */
export const liveBytesPerLink = (figures: GrowthFigures, at: SizeAt) =>
  (at.bytes - at.freeBytes - figures.emptyBytes) / at.links;

/** The second half's growth per link it added: about the live bytes per link when the first half's freed space is reused. */
export const marginalBytesPerLink = (figures: GrowthFigures) =>
  (figures.bytes - figures.halfway.bytes) / (figures.links - figures.halfway.links);

export async function runGrowth(
  databases: { engine: Engine; url: () => Promise<string> }[],
  deliveries: number,
): Promise<GrowthFigures[]> {
  const figures: GrowthFigures[] = [];
  for (const { url } of databases) figures.push(await measureGrowth(await url(), deliveries));
  console.log(
    `\nDatabase growth: ${deliveries} signed issue_comment.created deliveries, one conversation URL each on its own issue, through the inbox and processed in process`,
  );
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  for (const figure of figures) {
    console.log(
      `${figure.engine}: ${figure.links} links stored in ${figure.seconds.toFixed(1)} s; table, rows, rows per delivery, rows per link`,
    );
    for (const { table, rows } of figure.tables) {
      if (rows === 0 && !(table in PROCESSING_ONLY)) continue;
      const processing = PROCESSING_ONLY[table];
      const job = JOB_TABLES[table];
      console.log(
        `  ${table.padEnd(18)} ${String(rows).padStart(8)} ${(rows / figure.deliveries).toFixed(2).padStart(7)} ${(rows / figure.links).toFixed(2).padStart(7)}` +
          (processing
            ? `  needed only until processed (${processing}): ${rows === 0 ? "empty" : "NOT EMPTY"}`
            : job
              ? `  ${job}`
              : ""),
      );
    }
    const perLink = bytesPerLink(figure);
    const end = { links: figure.links, bytes: figure.bytes, freeBytes: figure.freeBytes };
    const live = liveBytesPerLink(figure, end);
    const trimmed = liveBytesPerLink(figure, figure.trimmed);
    const engineNote =
      figure.engine === "sqlite"
        ? "the file after a WAL checkpoint"
        : "pg_database_size after a plain VACUUM, as autovacuum does";
    console.log(
      `  biggest tables and indexes at the end (bytes, per link): ${figure.objects
        .slice(0, BIGGEST)
        .map(
          (object) =>
            `${object.name}${object.index ? ` (index of ${object.table})` : ""} ${object.bytes} ${(object.bytes / figure.links).toFixed(0)}`,
        )
        .join("; ")}`,
    );
    console.log(
      `  size (${engineNote}): ${mb(figure.emptyBytes)} empty; ${mb(figure.halfway.bytes)} at ${figure.halfway.links} links; ${mb(figure.bytes)} at ${figure.links} links, ${mb(figure.freeBytes)} of it free pages; ${mb(figure.trimmed.bytes)} a day later, after the server's trims (done enrichment jobs), ${mb(figure.trimmed.freeBytes)} of it free pages`,
    );
    console.log(
      `  bytes per link: ${perLink.toFixed(0)} the whole growth, ${live.toFixed(0)} in use, ${marginalBytesPerLink(figure).toFixed(0)} the second half's growth (the first half's processed deliveries' space reused), ${trimmed.toFixed(0)} in use after the trims; per delivery ${(trimmed * (figure.links / figure.deliveries)).toFixed(0)}`,
    );
    console.log(
      `  at 10M links about ${((trimmed * TEN_MILLION + figure.emptyBytes) / 1e9).toFixed(1)} GB (in use after the trims, a straight line; the whole growth's line would say ${((perLink * TEN_MILLION + figure.emptyBytes) / 1e9).toFixed(1)} GB)`,
    );
  }
  return figures;
}

async function tableNames(database: Database): Promise<string[]> {
  const rows = await database.prisma.$queryRawUnsafe<{ name: string }[]>(
    database.engine === "sqlite"
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`
      : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY table_name`,
  );
  return rows.map((row) => row.name);
}

async function count(database: Database, table: string): Promise<number> {
  const [row] = await database.prisma.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT count(*) AS n FROM "${table}"`);
  return Number(row!.n);
}

/**
 * Links and size now. PostgreSQL first gets the plain VACUUM autovacuum gives a table within a minute of many deletes
 * (the bench runs faster than its one-minute nap): it takes no lock that stops writes, and makes the deleted rows'
 * space reusable (an emptied end of a table is given back). SQLite reuses a deleted row's page by itself.
 */
async function sizeAt(database: Database): Promise<SizeAt> {
  if (database.engine === "postgresql") await database.prisma.$executeRawUnsafe(`VACUUM`);
  return {
    links: await count(database, "Link"),
    bytes: await databaseBytes(database),
    freeBytes: await freeBytes(database),
  };
}

/**
 * What the database keeps a day after the run: the helpdesk worker (not run here) would have read every conversation,
 * so the enrichment jobs are set done a day and a minute ago, as it would have left them, and the server's own trims
 * run (src/jobs/helpdesk-worker.ts: done enrichment jobs older than a day).
 */
async function sizeAfterTrims(database: Database): Promise<SizeAt> {
  const now = new Date();
  await database.prisma.enrichJob.updateMany({
    data: { state: "done", finishedAt: new Date(now.getTime() - DONE_ENRICHMENT_KEPT_MS - 60_000) },
  });
  await purgeDoneEnrichment(database.prisma, now);
  return sizeAt(database);
}

/** SQLite: the file's pages once the WAL is checkpointed into it and truncated; PostgreSQL: pg_database_size. */
async function databaseBytes(database: Database): Promise<number> {
  if (database.engine === "sqlite") {
    await database.prisma.$queryRawUnsafe(`PRAGMA wal_checkpoint(TRUNCATE)`);
    const [pages] = await database.prisma.$queryRawUnsafe<{ page_count: bigint | number }[]>(`PRAGMA page_count`);
    const [size] = await database.prisma.$queryRawUnsafe<{ page_size: bigint | number }[]>(`PRAGMA page_size`);
    return Number(pages!.page_count) * Number(size!.page_size);
  }
  const [row] = await database.prisma.$queryRawUnsafe<{ bytes: bigint | number }[]>(
    `SELECT pg_database_size(current_database()) AS bytes`,
  );
  return Number(row!.bytes);
}

/** The tables and indexes by size. Empty ones still take a page or more, so only growth beyond the empty database counts. */
async function objectSizes(database: Database): Promise<ObjectSize[]> {
  const rows = await database.prisma.$queryRawUnsafe<
    { name: string; table: string; kind: string; bytes: bigint | number }[]
  >(
    database.engine === "sqlite"
      ? `SELECT s.name AS name, COALESCE(m.tbl_name, s.name) AS "table", COALESCE(m.type, 'table') AS kind, SUM(s.pgsize) AS bytes
         FROM dbstat s LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY s.name`
      : `SELECT c.relname AS name, COALESCE(t.relname, c.relname) AS "table", CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END AS kind,
           CASE c.relkind WHEN 'i' THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')`,
  );
  return rows
    .map((row) => ({ name: row.name, table: row.table, index: row.kind === "index", bytes: Number(row.bytes) }))
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * Space inside the database that later writes fill first: SQLite's free pages; on PostgreSQL the free space its
 * free space map records (VACUUM fills it in) in this database's tables, indexes and TOAST tables, read with the
 * pg_freespacemap extension that ships with PostgreSQL (created in the bench's own database only).
 */
async function freeBytes(database: Database): Promise<number> {
  if (database.engine === "postgresql") {
    await database.prisma.$executeRawUnsafe(`CREATE EXTENSION IF NOT EXISTS pg_freespacemap`);
    const [row] = await database.prisma.$queryRawUnsafe<{ bytes: bigint | number | null }[]>(
      `SELECT sum(f.avail) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
         LATERAL pg_freespace(c.oid) f
       WHERE c.relkind IN ('r', 'i', 't') AND n.nspname IN (current_schema(), 'pg_toast')`,
    );
    return Number(row!.bytes ?? 0);
  }
  const [free] = await database.prisma.$queryRawUnsafe<{ freelist_count: bigint | number }[]>(`PRAGMA freelist_count`);
  const [size] = await database.prisma.$queryRawUnsafe<{ page_size: bigint | number }[]>(`PRAGMA page_size`);
  return Number(free!.freelist_count) * Number(size!.page_size);
}
