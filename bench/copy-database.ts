import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { sqliteUrl } from "./ingest.js";
import { seed } from "./labels.js";

/**
 * `closeloop copy-database` (docs/moving-to-postgresql.md) from a SQLite file of BENCH_COPY_LINKS links (default 1M, on
 * a tenth as many issues, P4's seed) into an empty PostgreSQL database: the command as a person runs it, its time, rows
 * a second and peak memory, which must not grow with the database (the rows are streamed in batches).
 */
export async function runCopyBench(root: string, newPostgresUrl: () => Promise<string>): Promise<void> {
  const links = Number(process.env.BENCH_COPY_LINKS ?? 1_000_000);
  const issues = Number(process.env.BENCH_COPY_ISSUES ?? Math.max(1, Math.round(links / 10)));
  const source = sqliteUrl();
  await seed(source, issues, links);
  const target = await newPostgresUrl();
  const run = await measureCopy(root, source, target);
  const load = loadavg()
    .map((one) => one.toFixed(1))
    .join(" ");
  console.log(
    `\ncopy-database: SQLite with ${links.toLocaleString("en-US")} links on ${issues.toLocaleString("en-US")} issues into PostgreSQL (load ${load})`,
  );
  console.log(
    `copied ${run.rows.toLocaleString("en-US")} rows in ${run.seconds.toFixed(1)} s: ${Math.round(run.rows / run.seconds).toLocaleString("en-US")} rows a second, peak RSS ${run.maxRssMb.toFixed(0)} MB`,
  );
}

export interface CopyRun {
  rows: number;
  seconds: number;
  maxRssMb: number;
}

/**
 * Runs `node bin/closeloop.js copy-database <target> --json` on `source`, reading its peak RSS from /proc while it runs
 * (VmHWM only grows, so the last reading before it exits is its peak; a child's own getrusage would start at its
 * parent's, see label-sweep-child.ts).
 */
export async function measureCopy(root: string, source: string, target: string): Promise<CopyRun> {
  const child = spawn(process.execPath, [`${root}bin/closeloop.js`, "copy-database", target, "--json"], {
    env: { ...process.env, DATABASE_URL: source },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  let maxRssMb = 0;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const sample = setInterval(() => {
    try {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (hwm) maxRssMb = Math.max(maxRssMb, Number(hwm[1]) / 1024);
    } catch {
      // exited between two readings: the last one stands
    }
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearInterval(sample);
  if (code !== 0) throw new Error(`copy-database exited with ${code}: ${output}`);
  const answer = JSON.parse(output) as { rows: number; seconds: number };
  return { rows: answer.rows, seconds: answer.seconds, maxRssMb };
}
