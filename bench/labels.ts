import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { SweepFigures } from "../src/labels/sweep.js";
import { parseDatabaseUrl } from "../src/config/database-url.js";
import { refreshPlannerStatistics } from "../src/store/statistics.js";
import { openMigratedDatabase } from "./bench-database.js";
import { startPostgres } from "./processes.js";
import { inTempRoot } from "../test/support/temp-root.js";

// P4 / P5 (README, Development): the decay sweep's core (src/labels/sweep.ts) over a million live links on 100,000
// issues and over ten million on a million, every issue due at one instant (the worst case: the first sweep, or one
// after a config change), on SQLite and PostgreSQL, and how time and memory grow from one size to the next. The
// database is seeded here with set-based SQL (indexes built after the rows); the sweep runs in a child process of its
// own (bench/label-sweep-child.ts), so its time and peak RSS are the sweep's alone. Part of `npm run bench`; also
// runs on its own:
//
//   npm run build && npx tsc -p tsconfig.bench.json && node build-bench/bench/labels.js
//   BENCH_LABEL_LINKS=1000000,10000000 BENCH_LABEL_ISSUES=100000,1000000 (defaults: one size per pair)
//   BENCH_LABEL_ENGINES=sqlite,postgresql BENCH_LABEL_BATCH=500 (defaults)

export const NOW = new Date("2027-01-01T00:00:00Z");
const DAY_SECONDS = 86_400;
// Prisma's SQLite adapter stores DateTime as ISO 8601 text with "+00:00".
const sqliteTime = (date: Date) => date.toISOString().replace("Z", "+00:00");
/** P4 and P5 at ten million links on both engines (SPEC §10, wave 3); P4 at a million on SQLite, as before */
const P4_SECONDS = 30;
const P4_MILLION_SECONDS = 10;
const P5_MB = 200;
const TARGET_LINKS = 10_000_000;

interface SweepRun {
  seconds: number;
  readSeconds: number;
  writeSeconds: number;
  /** the sweep process's own CPU time: less bent by a loaded machine than its wall time */
  cpuSeconds: number;
  /** PostgreSQL's server process serving the sweep (0 for SQLite, which runs in the sweep's process) */
  databaseCpuSeconds: number;
  /** the store's reads and writes: one statement each on PostgreSQL; a write is one transaction on SQLite */
  statements: { read: number; write: number };
  maxRssMb: number;
  figures: SweepFigures;
}

export interface LabelSweepFigures {
  engine: string;
  issues: number;
  links: number;
  seedSeconds: number;
  /** the database's size after the seed: data and indexes */
  databaseMb: number;
  run: SweepRun;
}

/** The sweep's sizes and engines, from BENCH_LABEL_* (README, Development). */
export function labelSweepSize(env: NodeJS.ProcessEnv = process.env): {
  sizes: { links: number; issues: number }[];
  /** the first size (P6 and P7 seed theirs as P4's) */
  links: number;
  issues: number;
  engines: string[];
} {
  const links = (env.BENCH_LABEL_LINKS ?? "1000000,10000000").split(",").map(Number);
  const issues = (env.BENCH_LABEL_ISSUES ?? "100000,1000000").split(",").map(Number);
  if (links.length !== issues.length || [...links, ...issues].some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error("BENCH_LABEL_LINKS and BENCH_LABEL_ISSUES: as many positive whole numbers each, comma-separated");
  return {
    sizes: links.map((count, i) => ({ links: count, issues: issues[i]! })),
    links: links[0]!,
    issues: issues[0]!,
    engines: (env.BENCH_LABEL_ENGINES ?? "sqlite,postgresql").split(","),
  };
}

/** Seeds a new database at `url` and sweeps it once in a child process. */
export async function benchLabelSweep(
  engine: string,
  url: string,
  issues: number,
  links: number,
): Promise<LabelSweepFigures> {
  const seedStarted = performance.now();
  await seed(url, issues, links);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const databaseMb = (await databaseBytes(url)) / 2 ** 20;
  return { engine, issues, links, seedSeconds, databaseMb, run: await sweepInChild(url) };
}

/**
 * P4 and P5 on each engine of BENCH_LABEL_ENGINES at each size, printed with their targets and the growth from one
 * size to the next (called by bench/run.ts, and by this file run on its own). `newPostgresUrl` gives a new
 * PostgreSQL database; without it one is started. Each database is dropped once swept (ten million links take GBs).
 */
export async function runP4P5(newPostgresUrl?: () => Promise<string>): Promise<void> {
  const { sizes, engines } = labelSweepSize();
  const results: LabelSweepFigures[] = [];
  const postgres = engines.includes("postgresql") && !newPostgresUrl ? await startPostgres() : undefined;
  try {
    for (const engine of engines) {
      for (const { issues, links } of sizes) {
        const url =
          engine === "sqlite"
            ? `file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-labels-")), "closeloop.db")}`
            : await (newPostgresUrl ?? postgres!.newDatabaseUrl)();
        try {
          results.push(await benchLabelSweep(engine, url, issues, links));
        } finally {
          await dropDatabase(url);
        }
      }
    }
  } finally {
    await postgres?.stop();
  }
  console.log(
    `\nP4/P5 label sweep: ${sizes.map((size) => `${size.links.toLocaleString("en")} live links on ${size.issues.toLocaleString("en")} issues`).join(", then ")}; every issue due; read, frequencyOf + next change, write back; the sweep alone in a child process (load average ${loadAverage()})`,
  );
  console.log(
    "engine          links    seed s  DB MB  B/link   sweep s  (read   write)  CPU s  DB CPU s  reads  writes    issues  reports  changed  issues/s  peak RSS MB",
  );
  for (const { engine, links, seedSeconds, databaseMb, run } of results) {
    const { figures } = run;
    console.log(
      `${engine.padEnd(12)} ${short(links).padStart(7)} ${seedSeconds.toFixed(1).padStart(8)} ${databaseMb.toFixed(0).padStart(6)} ${((databaseMb * 2 ** 20) / links).toFixed(0).padStart(7)} ${run.seconds.toFixed(2).padStart(9)}  (${run.readSeconds.toFixed(2).padStart(5)} ${run.writeSeconds.toFixed(2).padStart(6)}) ${run.cpuSeconds.toFixed(1).padStart(6)} ${run.databaseCpuSeconds.toFixed(1).padStart(9)} ${String(run.statements.read).padStart(6)} ${String(run.statements.write).padStart(7)} ${String(figures.issues).padStart(9)} ${String(figures.links).padStart(8)} ${String(figures.changed).padStart(8)} ${(figures.issues / run.seconds).toFixed(0).padStart(9)} ${run.maxRssMb.toFixed(0).padStart(12)}`,
    );
  }
  console.log(
    "(reports: the live links within the longest window, 14 days, the ones a sweep reads; the seed dates links over 30 days; CPU s: the sweep's process, DB CPU s: PostgreSQL's server process for it; reads, writes: the store's statements; read and write: SQLite's time in the store's calls, PostgreSQL's until their answers, which overlap, the next page being read while one is written)",
  );
  for (const engine of engines) {
    const runs = results.filter((result) => result.engine === engine);
    for (const [smaller, larger] of runs.slice(1).map((larger, i) => [runs[i]!, larger] as const)) {
      const size = larger.links / smaller.links;
      const time = larger.run.seconds / smaller.run.seconds;
      const cpu =
        (larger.run.cpuSeconds + larger.run.databaseCpuSeconds) /
        (smaller.run.cpuSeconds + smaller.run.databaseCpuSeconds);
      console.log(
        `${engine.padEnd(12)} growth ${short(smaller.links)} → ${short(larger.links)} links (×${size.toFixed(1)}): sweep time ×${time.toFixed(1)}, its CPU (with the server's) ×${cpu.toFixed(1)}, peak RSS ×${(larger.run.maxRssMb / smaller.run.maxRssMb).toFixed(2)}: ${time <= size * 1.1 ? "linear or better" : "WORSE than linear"}`,
      );
    }
    for (const { links, run } of runs) {
      const target =
        links === TARGET_LINKS ? P4_SECONDS : links === 1_000_000 && engine === "sqlite" ? P4_MILLION_SECONDS : 0;
      const p4 = target
        ? `sweep ${run.seconds.toFixed(2)} s = ${(run.seconds / target).toFixed(2)}× of target ≤ ${target} s ${met(run.seconds <= target)}`
        : `sweep ${run.seconds.toFixed(2)} s (no target at this size)`;
      const p5 =
        links <= TARGET_LINKS
          ? `peak RSS ${run.maxRssMb.toFixed(0)} MB = ${(run.maxRssMb / P5_MB).toFixed(2)}× of target ≤ ${P5_MB} MB ${met(run.maxRssMb <= P5_MB)}`
          : `peak RSS ${run.maxRssMb.toFixed(0)} MB`;
      console.log(`${engine.padEnd(12)} at ${short(links)} links P4: ${p4}; P5: ${p5}`);
    }
  }
}

const short = (n: number) =>
  n >= 1_000_000 && n % 100_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 100 === 0 ? `${n / 1000}k` : String(n);
const loadAverage = () =>
  loadavg()
    .map((load) => load.toFixed(1))
    .join(" ");

const met = (ok: boolean) => (ok ? "MET" : "MISSED");

async function sweepInChild(url: string): Promise<SweepRun> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL("label-sweep-child.js", import.meta.url)), url, NOW.toISOString()],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the sweep exited with ${code}: ${output}`);
  return JSON.parse(output.trim().split("\n").at(-1)!) as SweepRun;
}

export interface SeededStatistics {
  /**
   * SQLite: how long the server's first gathering of its planner statistics took on the seeded file, the event loop
   * and the write lock held meanwhile (PostgreSQL's are autovacuum's, stood for by a VACUUM ANALYZE)
   */
  statisticsSeconds?: number;
}

/**
 * `issues` issues in one repository, each with one comment carrying `links / issues` live links posted over the last
 * 30 days; 70 % of links have a customer (5,000 customers), the rest none. Every issue was last evaluated as daily and
 * is due. All in set-based SQL on a connection of its own, with the links' secondary indexes dropped while their rows
 * go in and built after (one sort each instead of ten million inserts at random places), so ten million links seed in
 * minutes.
 */
export async function seed(url: string, issues: number, links: number): Promise<SeededStatistics> {
  const database = await openMigratedDatabase(url);
  try {
    await database.prisma.repository.create({
      data: { id: 1n, installationId: 1n, owner: "bench", name: "labels", fullName: "bench/labels" },
    });
  } finally {
    await database.close();
  }
  const perIssue = Math.max(1, Math.round(links / issues));
  const total = perIssue * issues;
  const now = NOW.toISOString();
  const target = parseDatabaseUrl(url);
  if (target.engine === "sqlite") {
    const db = new BetterSqlite3(target.path);
    try {
      db.pragma("synchronous = OFF");
      db.pragma("cache_size = -262144");
      const indexes = db
        .prepare(
          `SELECT "name", "sql" FROM "sqlite_master" WHERE "type" = 'index' AND "sql" IS NOT NULL AND "tbl_name" IN ('Link', 'LinkSource')`,
        )
        .all() as { name: string; sql: string }[];
      db.transaction(() => {
        for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
        db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${issues})
          INSERT INTO "Issue" ("id", "repositoryId", "number", "githubId", "state", "createdAt")
          SELECT i, 1, i, i, 'open', '${sqliteTime(NOW)}' FROM n`);
        db.exec(`INSERT INTO "LabelEvaluation" ("issueId", "frequency", "dueAt")
          SELECT "id", 'daily', '${sqliteTime(new Date(NOW.getTime() - 1000))}' FROM "Issue"`);
        db.exec(
          `INSERT INTO "Source" ("id", "issueId", "kind", "key", "createdAt") SELECT "id", "id", 'comment', CAST("id" AS TEXT), '${sqliteTime(NOW)}' FROM "Issue"`,
        );
        db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${total - 1})
          INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt", "customerHash")
          SELECT i + 1, i / ${perIssue} + 1, 'zendesk', 'acme', CAST(i AS TEXT), 'https://acme.zendesk.com/agent/tickets/' || i, 'comment',
            strftime('%Y-%m-%dT%H:%M:%f+00:00', '${now}', '-' || (abs(random()) % ${30 * DAY_SECONDS}) || ' seconds'),
            CASE WHEN abs(random()) % 10 < 7 THEN 'customer-' || (abs(random()) % 5000) END
          FROM n`);
        db.exec(
          `INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") SELECT "id", "issueId", "linkedAt" FROM "Link"`,
        );
        for (const { sql } of indexes) db.exec(sql);
      })();
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
    // The statistics a server has on this file: those it gathers when it starts (src/store/statistics.ts).
    const started = await openMigratedDatabase(url);
    try {
      const analysing = performance.now();
      await refreshPlannerStatistics(started.prisma, started.engine);
      return { statisticsSeconds: (performance.now() - analysing) / 1000 };
    } finally {
      await started.close();
    }
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const sql = (text: string) => client.query(text);
    // Foreign keys are checked by triggers, one lookup per row: the seed's rows are consistent by construction.
    await sql(`SET session_replication_role = replica`);
    await sql(`SET maintenance_work_mem = '512MB'`);
    const indexes = await client.query<{ name: string; definition: string }>(
      `SELECT "indexname" AS name, "indexdef" AS definition FROM "pg_indexes"
       WHERE "tablename" IN ('Link', 'LinkSource') AND "indexname" NOT LIKE '%_pkey'`,
    );
    for (const { name } of indexes.rows) await sql(`DROP INDEX "${name}"`);
    await sql(`INSERT INTO "Issue" ("id", "repositoryId", "number", "githubId", "state", "createdAt")
      SELECT i, 1, i, i, 'open', TIMESTAMP '${now}' FROM generate_series(1, ${issues}) AS i`);
    await sql(`INSERT INTO "LabelEvaluation" ("issueId", "frequency", "dueAt")
      SELECT "id", 'daily', TIMESTAMP '${now}' - INTERVAL '1 second' FROM "Issue"`);
    await sql(
      `INSERT INTO "Source" ("id", "issueId", "kind", "key", "createdAt") SELECT "id", "id", 'comment', "id"::text, TIMESTAMP '${now}' FROM "Issue"`,
    );
    await sql(`INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt", "customerHash")
      SELECT i + 1, i / ${perIssue} + 1, 'zendesk', 'acme', i::text, 'https://acme.zendesk.com/agent/tickets/' || i, 'comment',
        TIMESTAMP '${now}' - random() * INTERVAL '30 days', CASE WHEN random() < 0.7 THEN 'customer-' || floor(random() * 5000)::int END
      FROM generate_series(0, ${total - 1}) AS i`);
    await sql(
      `INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") SELECT "id", "issueId", "linkedAt" FROM "Link"`,
    );
    for (const { definition } of indexes.rows) await sql(definition);
    // The sequences were bypassed by the explicit ids.
    for (const table of ["Issue", "Source", "Link"])
      await sql(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), (SELECT max("id") FROM "${table}"))`);
    await sql(`VACUUM ANALYZE`);
  } finally {
    await client.end();
  }
  return {};
}

/** The database's size on disk: data and indexes (SQLite: its pages, PostgreSQL: pg_database_size). */
export async function databaseBytes(url: string): Promise<number> {
  const target = parseDatabaseUrl(url);
  if (target.engine === "sqlite") {
    const db = new BetterSqlite3(target.path, { readonly: true });
    try {
      return Number(db.pragma("page_count", { simple: true })) * Number(db.pragma("page_size", { simple: true }));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const size = await client.query<{ bytes: string }>(`SELECT pg_database_size(current_database()) AS bytes`);
    return Number(size.rows[0]!.bytes);
  } finally {
    await client.end();
  }
}

/** Removes a benchmark's database: its file and folder (SQLite), or the database (PostgreSQL). */
async function dropDatabase(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.engine === "sqlite") {
    rmSync(dirname(target.path), { recursive: true, force: true });
    return;
  }
  const name = new URL(target.connectionString).pathname.slice(1);
  const admin = new pg.Client({ connectionString: target.connectionString.replace(/\/[^/?]*(\?|$)/, "/postgres$1") });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await inTempRoot("closeloop-bench-", () => runP4P5());
