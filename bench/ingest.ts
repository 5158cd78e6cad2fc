import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { FakeGitHub } from "../test/fakes/github-server.js";
import { commentDeliveries, driveLoad, type LoadResult } from "./webhook-load.js";
import { startServer } from "./processes.js";
import { cpuSeconds } from "./cpu-time.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { INBOX_APPLICATION_NAME } from "../src/store/delivery-writer.js";
import { DELIVERIES } from "../src/store/deliveries.js";
import { Prisma as Sql } from "../src/store/generated/sqlite/client.js";
import { ISSUE_MARKINGS } from "../src/store/issue-markings.js";
import type { LeasedTable } from "../src/store/lease.js";

const SECRET = "bench-secret";

export interface IngestFigures {
  engine: string;
  bare: LoadResult;
  closeloop: LoadResult;
  /** seconds from the last 200 until the inbox held no delivery: every link stored */
  drainSeconds: number;
  /** each round's closeloop events/s over the bare app's in the same round: the spread behind the medians */
  roundRatios: number[];
  /**
   * median CPU per delivery during the measured load, µs: the app's process, and PostgreSQL's processes, all and by
   * what they serve (`postgresBackends`' kinds: the inbox writer's connection, the app's others, walwriter…)
   */
  cpu: { bare: number | null; closeloop: number | null; database: number | null; databaseByKind: Map<string, number> };
  /** median WAL bytes PostgreSQL wrote per delivery during the measured load; null on SQLite */
  walBytesPerDelivery: number | null;
  /** medians over the rounds, from closeloop's /metrics around the measured load */
  inbox: {
    /** deliveries stored per commit of the inbox (its group commit) */
    perCommit: number | null;
    /** deliveries the worker processed while the load ran (it holds back during a burst) */
    processedDuringLoad: number | null;
  };
}

/**
 * P1: webhook ingest over HTTP, closeloop against a bare Probot app with an empty handler, same machine, same
 * deliveries, same concurrency. Both talk to a fake GitHub on loopback for installation tokens and config.
 */
export async function benchIngest(
  root: string,
  buildDir: string,
  engine: string,
  databaseUrl: string,
  options: { events: number; warmup: number; concurrency: number; rounds: number },
): Promise<IngestFigures> {
  const github = new FakeGitHub();
  const host = await github.start();
  const template = (examples as { name: string; examples: Record<string, any>[] }[])
    .find((e) => e.name === "issue_comment")!
    .examples.find((e) => e.action === "created")!;
  const env = { APP_ID: "4242", PRIVATE_KEY, WEBHOOK_SECRET: SECRET, GHE_HOST: host, GHE_PROTOCOL: "http" };
  const warmup = commentDeliveries(template, SECRET, options.warmup, 7);
  const measured = commentDeliveries(template, SECRET, options.events, 11);
  const measure = async (
    script: string,
    extra: Record<string, string>,
    { afterWarmup, afterLoad }: { afterWarmup?: () => Promise<unknown>; afterLoad?: () => Promise<number> } = {},
  ) => {
    const server = await startServer(script, root, { ...env, ...extra });
    try {
      await driveLoad(`${server.url}/api/github/webhooks`, warmup, options.concurrency);
      await afterWarmup?.();
      // Read outside the CPU and WAL readings: a scrape of /metrics runs a dozen counting queries (the job kinds' states,
      // the reopen jobs by provider…) in the app and PostgreSQL, which the deliveries did not cause.
      const countsBefore = await inboxCounts(server.url);
      // CPU time, unlike events/s, hardly depends on what else the machine runs: it shows where the time goes.
      const postgres = extra.DATABASE_URL?.startsWith("postgresql") ? extra.DATABASE_URL : undefined;
      const backends = postgres === undefined ? [] : await postgresBackends(postgres);
      const database = backends.map((backend) => backend.pid);
      const before = [cpuSeconds([server.child.pid!]), cpuSeconds(database)];
      const backendsBefore = backends.map((backend) => cpuSeconds([backend.pid]));
      const walBefore = postgres === undefined ? 0 : await walPosition(postgres);
      const result = await driveLoad(`${server.url}/api/github/webhooks`, measured, options.concurrency);
      const perDelivery = (after: number | null, at: number | null) =>
        after === null || at === null ? null : ((after - at) / measured.length) * 1e6;
      const cpu = {
        app: perDelivery(cpuSeconds([server.child.pid!]), before[0]!),
        database: database.length > 0 ? perDelivery(cpuSeconds(database), before[1]!) : null,
      };
      const databaseByKind = new Map<string, number>();
      backends.forEach(({ pid, kind }, i) =>
        databaseByKind.set(
          kind,
          (databaseByKind.get(kind) ?? 0) + (perDelivery(cpuSeconds([pid]), backendsBefore[i]!) ?? 0),
        ),
      );
      const walBytes = postgres === undefined ? null : ((await walPosition(postgres)) - walBefore) / measured.length;
      const countsAfter = await inboxCounts(server.url);
      const inbox =
        countsBefore === null || countsAfter === null
          ? null
          : {
              perCommit: measured.length / (countsAfter.commits - countsBefore.commits),
              processedDuringLoad: countsAfter.processed - countsBefore.processed,
            };
      return { result, cpu, databaseByKind, walBytes, inbox, drainSeconds: (await afterLoad?.()) ?? 0 };
    } finally {
      await server.stop();
    }
  };
  try {
    // Rounds alternate the two apps, and the medians are compared, so a neighbour's burst of CPU (this machine has
    // two cores) lands on both rather than on one.
    const bare: LoadResult[] = [];
    const closeloop: LoadResult[] = [];
    const drains: number[] = [];
    const cpu = {
      bare: [] as (number | null)[],
      closeloop: [] as (number | null)[],
      database: [] as (number | null)[],
    };
    const inbox = { perCommit: [] as (number | null)[], processedDuringLoad: [] as (number | null)[] };
    const databaseByKind: Map<string, number>[] = [];
    const walBytes: (number | null)[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const baseline = await measure(join(buildDir, "bench/bare-app.js"), {});
      bare.push(baseline.result);
      cpu.bare.push(baseline.cpu.app);
      const run = await measure(
        "dist/server.js",
        { DATABASE_URL: databaseUrl },
        {
          afterWarmup: () => waitForWork(databaseUrl, DELIVERY_WORK),
          afterLoad: () => waitForWork(databaseUrl, [DELIVERIES]),
        },
      );
      closeloop.push(run.result);
      cpu.closeloop.push(run.cpu.app);
      cpu.database.push(run.cpu.database);
      inbox.perCommit.push(run.inbox?.perCommit ?? null);
      inbox.processedDuringLoad.push(run.inbox?.processedDuringLoad ?? null);
      databaseByKind.push(run.databaseByKind);
      walBytes.push(run.walBytes);
      drains.push(run.drainSeconds);
    }
    const roundRatios = closeloop.map((run, round) => run.eventsPerSecond / bare[round]!.eventsPerSecond);
    return {
      engine,
      bare: median(bare),
      closeloop: median(closeloop),
      drainSeconds: middle(drains)!,
      roundRatios,
      cpu: {
        bare: middle(cpu.bare),
        closeloop: middle(cpu.closeloop),
        database: middle(cpu.database),
        databaseByKind: new Map(
          [...new Set(databaseByKind.flatMap((kinds) => [...kinds.keys()]))].map((kind) => [
            kind,
            middle(databaseByKind.map((kinds) => kinds.get(kind) ?? 0))!,
          ]),
        ),
      },
      walBytesPerDelivery: middle(walBytes),
      inbox: { perCommit: middle(inbox.perCommit), processedDuringLoad: middle(inbox.processedDuringLoad) },
    };
  } finally {
    await github.stop();
  }
}

/** closeloop's inbox commits and processed deliveries so far, from its /metrics; null from an app without them. */
export async function inboxCounts(url: string): Promise<{ commits: number; processed: number } | null> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) return null;
  const text = await response.text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  const commits = value(/^closeloop_inbox_commits_total (\S+)$/m);
  const processed = value(/^closeloop_deliveries_processed_total\{outcome="done"\} (\S+)$/m);
  return Number.isNaN(commits) || Number.isNaN(processed) ? null : { commits, processed };
}

/** The run with the median throughput; its p50 and p99 are reported with it. */
function median(results: LoadResult[]): LoadResult {
  return [...results].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[Math.floor(results.length / 2)]!;
}

function middle(values: (number | null)[]): number | null {
  const known = values.filter((value) => value !== null).sort((a, b) => a - b);
  return known.length === 0 ? null : known[Math.floor(known.length / 2)]!;
}

/** The processes of the PostgreSQL server behind `url` (its backends, WAL writer, checkpointer...). */
export async function postgresProcesses(url: string): Promise<number[]> {
  return (await postgresBackends(url)).map((backend) => backend.pid);
}

/**
 * The processes of the PostgreSQL server behind `url` with what they serve: the app's inbox writer ("inbox", by its
 * application_name), the app's other connections ("app"), a connection of the bench's own (`bench`), or PostgreSQL's
 * own work (walwriter, autovacuum, checkpointer…, by pg_stat_activity's backend_type).
 */
export async function postgresBackends(
  url: string,
  { bench }: { bench?: number } = {},
): Promise<{ pid: number; kind: string }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; backend_type: string; application_name: string }>(
      `SELECT "pid", "backend_type", "application_name" FROM pg_stat_activity WHERE "pid" <> pg_backend_pid()`,
    );
    const kindOf = ({ pid, backend_type, application_name }: (typeof rows)[number]) =>
      pid === bench
        ? "bench"
        : backend_type !== "client backend"
          ? backend_type
          : application_name === INBOX_APPLICATION_NAME
            ? "inbox"
            : "app";
    return rows.map((row) => ({ pid: row.pid, kind: kindOf(row) }));
  } finally {
    await client.end();
  }
}

/** Where the PostgreSQL server behind `url` writes its WAL next, in bytes from its start. */
export async function walPosition(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const lsn = (await client.query<{ lsn: string }>(`SELECT pg_current_wal_insert_lsn()::text AS "lsn"`)).rows[0]!.lsn;
    const [high, low] = lsn.split("/").map((half) => parseInt(half, 16));
    return high! * 2 ** 32 + low!;
  } finally {
    await client.end();
  }
}

/**
 * The work a delivery makes for the app's own workers: processing it, then applying the labels it marked wanted. A
 * warm-up waits for all of it, so none runs on in the measured window (label jobs did: 4–13 µs of PostgreSQL a
 * delivery); the drain after the measured load waits for the inbox alone (every link stored).
 */
export const DELIVERY_WORK: readonly LeasedTable[] = [DELIVERIES, ISSUE_MARKINGS];

/** Seconds until `tables` hold no row waiting for a worker or held by one (the app's own `countJobs` terms). */
export async function waitForWork(databaseUrl: string, tables: readonly LeasedTable[]): Promise<number> {
  const started = performance.now();
  const count = await workCounter(databaseUrl, tables);
  const deadline = Date.now() + 120_000;
  try {
    for (let left = await count(); left > 0; left = await count()) {
      if (Date.now() > deadline)
        throw new Error(
          `${left} row(s) of ${tables.map((table) => table.kind).join(", ")} still waiting after 2 minutes`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await count.close();
  }
  return (performance.now() - started) / 1000;
}

type Counter = (() => Promise<number>) & { close(): Promise<void> };

/** Counts the rows of `tables` that wait for a worker or are held by one. */
async function workCounter(databaseUrl: string, tables: readonly LeasedTable[]): Promise<Counter> {
  const counts = tables.map(
    (table) =>
      Sql.sql`(SELECT COUNT(*) FROM ${Sql.raw(`"${table.table}"`)} WHERE (${table.waiting(new Date())}) OR (${table.held}))`,
  );
  const query = Sql.sql`SELECT ${Sql.join(counts, " + ")} AS n`;
  if (databaseUrl.startsWith("file:")) {
    const db = new BetterSqlite3(databaseUrl.slice(5), { readonly: true });
    const statement = db.prepare(query.sql);
    return Object.assign(async () => Number((statement.get(...query.values) as { n: number }).n), {
      close: async () => void db.close(),
    });
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return Object.assign(async () => Number((await client.query(query.text, query.values)).rows[0].n), {
    close: () => client.end(),
  });
}

export function sqliteUrl(): string {
  return `file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-")), "closeloop.db")}`;
}
