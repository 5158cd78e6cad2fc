import { readFileSync } from "node:fs";
import pg from "pg";
import { DEFAULT_CONFIG } from "../src/config/repo-config.js";
import { sweepDueIssues } from "../src/labels/sweep.js";
import { parseDatabaseUrl } from "../src/config/database-url.js";
import { openSweepStore, type SweepStore } from "../src/store/label-sweep.js";
import { cpuSeconds } from "./cpu-time.js";

// The P4/P5 sweep on its own (bench/labels.ts runs it as a child process, so the peak RSS is the sweep's alone):
// one full sweep at a fixed `now`, then its figures as JSON on stdout.
const now = new Date(process.argv[3] ?? "2027-01-01T00:00:00Z");
const url = process.argv[2]!;
const target = parseDatabaseUrl(url);
const opened = openSweepStore(target, console);
const spent = { read: 0, write: 0 };
/** the store's calls: each one statement (PostgreSQL) or transaction (SQLite writes) */
const calls = { read: 0, write: 0 };
// SQLite's store does all its work inside the call (better-sqlite3 is synchronous), and the sweep evaluates a page
// before it looks at the answer of the read ahead: timed until that answer, its reads counted the evaluations too
// (34.9 of a 35.1 s sweep at 10M links, when most of the growth was in the writes). So on SQLite a call is timed until
// it returns its promise; on PostgreSQL until the promise settles.
const timed =
  <A extends unknown[], R>(phase: keyof typeof spent, call: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    const started = performance.now();
    calls[phase]++;
    const answer = call(...args);
    if (target.engine === "sqlite") spent[phase] += performance.now() - started;
    try {
      return await answer;
    } finally {
      if (target.engine !== "sqlite") spent[phase] += performance.now() - started;
    }
  };
const store: SweepStore = {
  ...opened,
  readDue: timed("read", opened.readDue.bind(opened)),
  readReports: timed("read", opened.readReports.bind(opened)),
  record: timed("write", opened.record.bind(opened)),
};
const started = performance.now();
const figures = await sweepDueIssues(store, now, () => DEFAULT_CONFIG.frequency, {
  batchSize: Number(process.env.BENCH_LABEL_BATCH ?? 500),
});
const seconds = (performance.now() - started) / 1000;
const databaseCpuSeconds = await serverCpuSeconds(url);
await opened.close();
console.log(
  JSON.stringify({
    seconds,
    readSeconds: spent.read / 1000,
    writeSeconds: spent.write / 1000,
    cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    databaseCpuSeconds,
    maxRssMb: peakRssMb(),
    statements: calls,
    figures,
  }),
);

/**
 * This process's own peak RSS. On Linux, getrusage's maxRSS (`process.resourceUsage().maxRSS`) of a spawned child
 * starts at its parent's RSS at the fork (the kernel carries the old address space's high-water mark across exec),
 * so it reported the benchmark's parent, not the sweep; VmHWM is the high-water mark of this process's memory alone.
 */
function peakRssMb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // no /proc (not Linux): maxRSS, the best figure there is
  }
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * PostgreSQL's share of the sweep: the CPU time of the server process serving the sweep's connection (the only other
 * one on this database), from /proc; the sweep process's own CPU leaves it out. Zero for SQLite (in this process).
 */
async function serverCpuSeconds(databaseUrl: string): Promise<number> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.engine === "sqlite") return 0;
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const backends = await client.query<{ pid: number }>(
      `SELECT "pid" FROM "pg_stat_activity" WHERE "datname" = current_database() AND "pid" <> pg_backend_pid()`,
    );
    return cpuSeconds(backends.rows.map((row) => row.pid)) ?? Number.NaN;
  } catch {
    return Number.NaN;
  } finally {
    await client.end();
  }
}
