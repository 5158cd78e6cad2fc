import { readFileSync } from "node:fs";
import { DEFAULT_CONFIG } from "../src/config/repo-config.js";
import { sweepDueIssues } from "../src/labels/sweep.js";
import { parseDatabaseUrl } from "../src/config/database-url.js";
import { openSweepStore, type SweepStore } from "../src/store/label-sweep.js";

// The P4/P5 sweep on its own (bench/labels.ts runs it as a child process, so the peak RSS is the sweep's alone):
// one full sweep at a fixed `now`, then its figures as JSON on stdout.
const now = new Date(process.argv[3] ?? "2027-01-01T00:00:00Z");
const opened = openSweepStore(parseDatabaseUrl(process.argv[2]!));
const spent = { read: 0, write: 0 };
const timed =
  <A extends unknown[], R>(phase: keyof typeof spent, call: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    const started = performance.now();
    try {
      return await call(...args);
    } finally {
      spent[phase] += performance.now() - started;
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
await opened.close();
console.log(
  JSON.stringify({
    seconds,
    readSeconds: spent.read / 1000,
    writeSeconds: spent.write / 1000,
    cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    maxRssMb: peakRssMb(),
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
