import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { FakeGitHub } from "../test/fakes/github-server.js";
import { commentDeliveries, driveLoad, type LoadResult } from "./webhook-load.js";
import { startServer } from "./processes.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";

const SECRET = "bench-secret";

export interface IngestFigures {
  engine: string;
  bare: LoadResult;
  closeloop: LoadResult;
  /** seconds from the last 200 until the inbox held no delivery: every link stored */
  drainSeconds: number;
  /** each round's closeloop events/s over the bare app's in the same round: the spread behind the medians */
  roundRatios: number[];
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
    afterLoad: () => Promise<number> = async () => 0,
  ) => {
    const server = await startServer(script, root, { ...env, ...extra });
    try {
      await driveLoad(`${server.url}/api/github/webhooks`, warmup, options.concurrency);
      await afterLoad();
      const result = await driveLoad(`${server.url}/api/github/webhooks`, measured, options.concurrency);
      return { result, drainSeconds: await afterLoad() };
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
    for (let round = 0; round < options.rounds; round++) {
      bare.push((await measure(join(buildDir, "bench/bare-app.js"), {})).result);
      const run = await measure("dist/server.js", { DATABASE_URL: databaseUrl }, () => waitForEmptyInbox(databaseUrl));
      closeloop.push(run.result);
      drains.push(run.drainSeconds);
    }
    const roundRatios = closeloop.map((run, round) => run.eventsPerSecond / bare[round]!.eventsPerSecond);
    return {
      engine,
      bare: median(bare),
      closeloop: median(closeloop),
      drainSeconds: drains.sort((a, b) => a - b)[Math.floor(drains.length / 2)]!,
      roundRatios,
    };
  } finally {
    await github.stop();
  }
}

/** The run with the median throughput; its p50 and p99 are reported with it. */
function median(results: LoadResult[]): LoadResult {
  return [...results].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[Math.floor(results.length / 2)]!;
}

/** Seconds until the app's inbox holds no delivery waiting to be processed. */
async function waitForEmptyInbox(databaseUrl: string): Promise<number> {
  const started = performance.now();
  const count = databaseUrl.startsWith("file:")
    ? sqliteCounter(databaseUrl.slice(5))
    : await postgresCounter(databaseUrl);
  try {
    while ((await count()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    await count.close();
  }
  return (performance.now() - started) / 1000;
}

type Counter = (() => Promise<number>) & { close(): Promise<void> };

function sqliteCounter(path: string): Counter {
  const db = new BetterSqlite3(path, { readonly: true });
  const statement = db.prepare(`SELECT COUNT(*) AS n FROM "Delivery" WHERE "deadAt" IS NULL`);
  return Object.assign(async () => Number((statement.get() as { n: number }).n), {
    close: async () => void db.close(),
  });
}

async function postgresCounter(url: string): Promise<Counter> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return Object.assign(
    async () => Number((await client.query(`SELECT COUNT(*) AS n FROM "Delivery" WHERE "deadAt" IS NULL`)).rows[0].n),
    { close: () => client.end() },
  );
}

export function sqliteUrl(): string {
  return `file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-")), "closeloop.db")}`;
}
