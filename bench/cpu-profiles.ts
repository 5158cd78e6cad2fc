import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Reads the CPU profiles P8 writes with BENCH_P8_CPU_PROF (the backfill section with BENCH_BACKFILL_CPU_PROF) over the
 * rounds' measured windows (the bench prints them on the profiles' clock), and says where the processes' time went per
 * delivery: by layer (closeloop's folders, each npm package, the garbage collector) and by function. Run after the
 * bench, with its output and the profiles' folder, and optionally what the windows' lines say (`during the backfill`):
 * `node build-bench/bench/cpu-profiles.js p8-output.txt /tmp/p8prof`.
 */

/** A V8 CPU profile as `node --cpu-prof` writes it: the fields read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  /** µs on the monotonic clock the bench prints its windows on */
  startTime: number;
  samples: number[];
  /** µs from each sample to the one before it (the first: to startTime) */
  timeDeltas: number[];
}

/** A `performance.now()` time on the clock of a CPU profile (`node --cpu-prof`: µs of the monotonic clock). */
export function onProfileClock(at: number): bigint {
  return (process.hrtime.bigint() - BigInt(Math.round((performance.now() - at) * 1e6))) / 1000n;
}

/** A round's measured window, µs on the profiles' clock. */
export type Window = readonly [from: number, to: number];

export interface Breakdown {
  /** sampled time in the windows, idle left out */
  ms: number;
  /** by layer (layerOf), Node's internals and V8's builtins charged to the layer that called them */
  byLayer: Map<string, number>;
  /** by function where its own code ran (self time), named `function layer:line` */
  byFunction: Map<string, number>;
}

/**
 * Where a frame's code comes from: closeloop's own by folder (`src/store`), an npm package by name, `node` for Node's
 * internals, and V8's entries as V8 names them: `(garbage collector)`, `(program)`, `(idle)`, `(native)` for a builtin
 * (JSON.parse, a socket's writev).
 */
export function layerOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + "/node_modules/".length).split("/");
    return scope!.startsWith("@") ? `${scope}/${name}` : scope!;
  }
  // closeloop's own code, compiled to dist/ (the server the bench starts)
  const own = /\/dist\/(?:(.+)\/)?[^/]+$/.exec(url);
  if (own) return own[1] === undefined ? "src" : `src/${own[1]}`;
  return url.startsWith("wasm://") ? "(wasm)" : url;
}

/** What a layer's time is charged to: Node's and V8's own work goes to the caller that asked for it. */
const CHARGED_ONWARD = new Set(["node", "(native)"]);

/**
 * The profiles' time in the windows. Each sample stands for the time to the next one, at most four sampling intervals:
 * a process stopped between rounds (SIGSTOP) leaves a gap that is not its time. The time is sampled wall time while
 * the process was not idle, so it includes the moments it was ready to run but waited for a core: on a loaded machine,
 * what wakes another process (a socket write to PostgreSQL) looks dearer than it is. Read the shares; the bench's
 * app CPU figure gives the total.
 */
export function breakdown(profiles: readonly CpuProfile[], windows: readonly Window[]): Breakdown {
  const result: Breakdown = { ms: 0, byLayer: new Map(), byFunction: new Map() };
  const add = (into: Map<string, number>, key: string, ms: number) => into.set(key, (into.get(key) ?? 0) + ms);
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const interval = median(profile.timeDeltas);
    let at = profile.startTime;
    for (const [i, id] of profile.samples.entries()) {
      at += profile.timeDeltas[i]!;
      if (!windows.some(([from, to]) => at >= from && at <= to)) continue;
      const leaf = nodes.get(id)!;
      const layer = layerOf(leaf.callFrame.url, leaf.callFrame.functionName);
      if (layer === "(idle)") continue;
      const ms = Math.min(profile.timeDeltas[i + 1] ?? interval, 4 * interval) / 1000;
      result.ms += ms;
      add(
        result.byFunction,
        `${leaf.callFrame.functionName || "(anonymous)"} ${layer}:${leaf.callFrame.lineNumber + 1}`,
        ms,
      );
      let charged = layer;
      for (let up = parents.get(id); CHARGED_ONWARD.has(charged) && up !== undefined; up = parents.get(up)) {
        const caller = nodes.get(up)!.callFrame;
        if (caller.functionName !== "(root)") charged = layerOf(caller.url, caller.functionName);
      }
      add(result.byLayer, charged, ms);
    }
  }
  return result;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * The windows a profiled run printed (P8's, or the backfill section's rounds), and how many deliveries they hold: the
 * count on each window's line (`1000 deliveries measured from …`), else P8's deliveries a round, once per window. With
 * `only`, the windows whose line says it (`during the backfill`).
 */
export function measuredWindows(benchOutput: string, only?: string): { windows: Window[]; deliveries: number } {
  const perRound = /(\d+) stored issue_comment deliveries a round/.exec(benchOutput);
  const found = [
    ...benchOutput.matchAll(/^.*?(?:(\d+) deliveries )?measured from (\d+) to (\d+) µs \(profile clock\).*$/gm),
  ]
    .filter(([line]) => only === undefined || line.includes(only))
    .map(([, count, from, to]) => ({
      window: [Number(from), Number(to)] as const,
      deliveries: count === undefined ? Number(perRound?.[1] ?? NaN) : Number(count),
    }));
  if (found.length === 0 || found.some((window) => Number.isNaN(window.deliveries)))
    throw new Error(
      "no measured windows in the bench's output: run P8 with BENCH_P8_CPU_PROF set, or the backfill section with BENCH_BACKFILL_CPU_PROF",
    );
  return {
    windows: found.map((window) => window.window),
    deliveries: found.reduce((sum, window) => sum + window.deliveries, 0),
  };
}

/** The breakdown as lines of ms per delivery and shares, the `top` dearest of each kind. */
export function describeBreakdown(result: Breakdown, deliveries: number, top = 25): string[] {
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([key, ms]) =>
          `${(ms / deliveries).toFixed(3).padStart(8)}  ${((100 * ms) / result.ms).toFixed(1).padStart(5)} %  ${key}`,
      );
  return [
    `${(result.ms / deliveries).toFixed(2)} ms sampled per delivery over ${deliveries} deliveries (wall time while not idle: read the shares)`,
    "ms/delivery  share  by layer (Node's internals and V8's builtins charged to their caller)",
    ...rows(result.byLayer),
    "ms/delivery  share  by function, its own code",
    ...rows(result.byFunction),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [output, folder, only] = process.argv.slice(2);
  if (!output || !folder) {
    console.error("usage: node build-bench/bench/cpu-profiles.js BENCH_OUTPUT PROFILE_FOLDER [WINDOWS_SAYING]");
    process.exit(2);
  }
  const { windows, deliveries } = measuredWindows(readFileSync(output, "utf8"), only);
  const profiles = readdirSync(folder)
    .filter((name) => name.endsWith(".cpuprofile"))
    .map((name) => JSON.parse(readFileSync(join(folder, name), "utf8")) as CpuProfile);
  for (const line of describeBreakdown(breakdown(profiles, windows), deliveries)) console.log(line);
}
