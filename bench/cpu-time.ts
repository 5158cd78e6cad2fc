import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds (user and system) the processes used so far, from Linux's /proc; null elsewhere. */
export function cpuSeconds(pids: number[]): number | null {
  let seconds = 0;
  for (const pid of pids) {
    const used = processCpuSeconds(pid);
    if (used !== null) seconds += used;
    else if (pids.length === 1) return null; // else a backend that ended meanwhile
  }
  return seconds;
}

/**
 * One process's CPU seconds: its threads' time on a CPU in nanoseconds (schedstat) where the kernel keeps it, else
 * its user and system ticks (/proc/<pid>/stat), which count in 10 ms: 5 µs a delivery over P1's 2,000, as much as
 * the changes the bench is there to show.
 */
function processCpuSeconds(pid: number): number | null {
  try {
    // Each thread's (the app's GC and compiler threads, libuv's pool): a process's own line is its main thread's.
    const threads = readdirSync(`/proc/${pid}/task`);
    let nanoseconds = 0;
    let read = 0;
    for (const thread of threads) {
      try {
        nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, "utf8").split(" ")[0]);
        read += 1;
      } catch {
        // a thread that ended meanwhile, or a kernel without schedstat (then no thread's is read)
      }
    }
    if (read > 0) return nanoseconds / 1e9;
  } catch {
    // not kept by this kernel, or the process ended: its ticks, if it is there
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

// sysconf(_SC_CLK_TCK), 100 on every Linux Node.js runs on.
const CLOCK_TICKS = 100;

/** The machine's busy time (user, nice, system, irq, softirq, steal), every core's, in seconds; null off Linux. */
export function machineBusySeconds(): number | null {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
