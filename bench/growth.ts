import pino from "pino";
import { Probot } from "probot";
import { closeloopApp, handlesEvent } from "../src/app.js";
import type { Engine } from "../src/config/database-url.js";
import { GithubMemory } from "../src/github/memory.js";
import { RepositoryPermissions } from "../src/github/permissions.js";
import { RepoConfigCache } from "../src/github/repo-config-cache.js";
import { DeliveryInbox } from "../src/http/delivery-inbox.js";
import { acceptIntoInbox } from "../src/http/webhook-inbox.js";
import { DeliveryWorker } from "../src/jobs/delivery-worker.js";
import { IssueMarkingsWorker } from "../src/jobs/issue-markings-worker.js";
import { urlMatchers } from "../src/providers/url-matchers.js";
import type { Database } from "../src/store/database.js";
import { openDeliveryWriter } from "../src/store/delivery-writer.js";
import { FakeGitHub } from "../test/fakes/github-server.js";
import { TestOctokit } from "../test/support/github.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import { openMigratedDatabase } from "./bench-database.js";
import { commentPayloads } from "./replicas.js";

// Database growth (#25): what closeloop keeps per link and per delivery, and how big the database gets. Signed
// issue_comment deliveries (P8's payloads: one issue each, one conversation URL each) go through the server's own
// path in process: signature check and inbox (acceptIntoInbox, DeliveryInbox), then the delivery worker runs the
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
  EnrichJob: "job: one per conversation, kept when done",
  LinkNote: "job: one per issue and conversation, ever (it keeps a link from being noted twice)",
  ReopenJob: "job: one per conversation to reopen, kept when done",
};

export interface TableGrowth {
  table: string;
  rows: number;
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
  /** SQLite: bytes of free pages inside the file (rows deleted, the inbox's among them); 0 on PostgreSQL */
  freeBytes: number;
  seconds: number;
}

const SECRET = "growth bench webhook secret";
/** deliveries stored at once: a burst the inbox commits together, as it does for concurrent requests */
const IN_FLIGHT = 16;
const TEN_MILLION = 10_000_000;

/** Delivers `deliveries` signed issue_comment webhooks into a new database at `url`, processes them, and measures. */
export async function measureGrowth(url: string, deliveries: number): Promise<GrowthFigures> {
  const database = await openMigratedDatabase(url);
  const github = new FakeGitHub();
  const host = await github.start();
  const writer = openDeliveryWriter(database.target);
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
        // The markings job runs once all deliveries are handled, as the server's worker would after the burst.
        labelsWanted: async () => {},
      }),
    );
    const inbox = new DeliveryInbox(writer, () => {});
    acceptIntoInbox(probot, handlesEvent, (delivery) => inbox.store(delivery));
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
    for (let first = 0; first < payloads.length; first += IN_FLIGHT) {
      await Promise.all(
        payloads.slice(first, first + IN_FLIGHT).map(async (payload, i) =>
          probot.webhooks.verifyAndReceive({
            id: `growth-${first + i}`,
            name: "issue_comment",
            payload,
            signature: await probot.webhooks.sign(payload),
          }),
        ),
      );
    }
    await worker.drain();
    await markings.drain();
    const seconds = (performance.now() - started) / 1000;

    const tables: TableGrowth[] = [];
    for (const table of await tableNames(database)) tables.push({ table, rows: await count(database, table) });
    return {
      engine: database.engine,
      deliveries,
      links: tables.find((row) => row.table === "Link")?.rows ?? 0,
      tables,
      emptyBytes,
      bytes: await databaseBytes(database),
      freeBytes: await freeBytes(database),
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
    console.log(
      `  size ${mb(figure.bytes)} (${mb(figure.emptyBytes)} when empty${figure.engine === "sqlite" ? `, file after a WAL checkpoint, ${mb(figure.freeBytes)} of it free pages` : ", pg_database_size"}): ${perLink.toFixed(0)} bytes per link, ${(perLink * (figure.links / figure.deliveries)).toFixed(0)} per delivery; at 10M links about ${((perLink * TEN_MILLION + figure.emptyBytes) / 1e9).toFixed(1)} GB`,
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

async function freeBytes(database: Database): Promise<number> {
  if (database.engine !== "sqlite") return 0;
  const [free] = await database.prisma.$queryRawUnsafe<{ freelist_count: bigint | number }[]>(`PRAGMA freelist_count`);
  const [size] = await database.prisma.$queryRawUnsafe<{ page_size: bigint | number }[]>(`PRAGMA page_size`);
  return Number(free!.freelist_count) * Number(size!.page_size);
}
