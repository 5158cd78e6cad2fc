import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../test/support/ports.js";
import { collectOutput } from "./processes.js";
import { githubAppEnv, spawnNpmStart } from "../test/support/process.js";

/** SPEC §10: `npm start` on a built tree answers `/healthz` within 3 s. */
const TARGET_MS = 3_000;
/** Past this a start is a failure, not a figure. */
const GIVE_UP_MS = 30_000;

export interface StartFigures {
  engine: string;
  /** ms from `npm start` to `/healthz` answering 200 on a new database: every migration applied first */
  first: number;
  /** the same, started again on that database, once per run */
  again: number[];
}

/**
 * The start section: `npm start` in the checkout, as the README's first command, timed from the spawn to the first
 * `200` of `/healthz` (polled every 10 ms), on a new database and then `runs` times on the same one, on each engine.
 * The process is stopped (SIGTERM, its whole group: npm and the server) before the next start.
 */
export async function runStart(
  root: string,
  engines: { engine: string; url: () => Promise<string> | string }[],
  runs: number,
): Promise<StartFigures[]> {
  const figures: StartFigures[] = [];
  for (const { engine, url } of engines) {
    const databaseUrl = await url();
    const first = await timeStart(root, databaseUrl);
    const again: number[] = [];
    for (let run = 0; run < runs; run++) again.push(await timeStart(root, databaseUrl));
    figures.push({ engine, first, again });
  }
  console.log(`\nstart: npm start on a built tree until /healthz answers 200 (target ≤ ${TARGET_MS} ms), ms`);
  console.log("engine       new database   again: median       max   runs  target");
  for (const { engine, first, again } of figures) {
    const sorted = [...again].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? first;
    const worst = Math.max(first, ...again);
    console.log(
      `${engine.padEnd(12)} ${first.toFixed(0).padStart(12)} ${median.toFixed(0).padStart(14)} ${(sorted.at(-1) ?? first).toFixed(0).padStart(9)} ${String(again.length).padStart(6)}  ${worst <= TARGET_MS ? "met" : "MISSED"}`,
    );
  }
  return figures;
}

async function timeStart(root: string, databaseUrl: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnNpmStart(
    port,
    {
      NODE_ENV: "production",
      // Nothing leaves the machine: a start makes no GitHub call, and any would be refused here.
      ...githubAppEnv("127.0.0.1:9", "bench-start", databaseUrl),
    },
    root,
  );
  const output = collectOutput(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output()}`);
      const elapsed = performance.now() - started;
      if (elapsed > GIVE_UP_MS) throw new Error(`npm start did not answer /healthz in ${GIVE_UP_MS} ms:\n${output()}`);
      const live = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (live) {
        // A stale dist/ is built first: that start timed the build, not the start the target is about.
        if (output().includes("building first")) throw new Error("dist/ was stale: run npm run build first");
        return performance.now() - started;
      }
      await sleep(10);
    }
  } finally {
    if (child.exitCode === null) {
      process.kill(-child.pid!, "SIGTERM");
      const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 15_000);
      await exited;
      clearTimeout(killer);
    }
  }
}
