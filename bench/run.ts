import { fileURLToPath } from "node:url";
import { benchIngest, sqliteUrl, type IngestFigures } from "./ingest.js";
import { startPostgres } from "./processes.js";
import { runP3, runP3r, runZendeskClose } from "./reopen.js";
import { runP4P5 } from "./labels.js";
import { runLabelBurst } from "./label-burst.js";
import { runP6 } from "./impact.js";
import { runP8 } from "./replicas.js";
import { roundPairs } from "./rounds.js";
import { runBackfillBench } from "./backfill.js";
import { runGrowth } from "./growth.js";
import { runStart } from "./start.js";
import { runCopyBench } from "./copy-database.js";
import { inTempRoot } from "../test/support/temp-root.js";

// `npm run bench`: every target (P1–P8, README Development) that exists so far, as figures and ratios, in one run.
// BENCH_ONLY=p2,p4 runs only the sections named (p4 and p5 are one section); all of them by default.
const only = process.env.BENCH_ONLY?.toLowerCase()
  .split(",")
  .map((section) => section.trim());
const runs = (...sections: string[]) => !only || sections.some((section) => only.includes(section));
/**
 * Runs a section (named by any of `names`) in a temp folder of its own, removed when it ends, failed or not, with what
 * the section and its processes made there: its SQLite databases, P4's and P6's seeds (GBs each), PostgreSQL's data.
 */
async function section(names: string[], work: () => Promise<unknown>): Promise<void> {
  if (runs(...names)) await inTempRoot("closeloop-bench-", work);
}
const root = fileURLToPath(new URL("../../", import.meta.url));
const buildDir = fileURLToPath(new URL("../", import.meta.url));
const events = Number(process.env.BENCH_EVENTS ?? 3000);
const options = {
  events,
  warmup: Math.min(500, events),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 16),
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
};

await section(["p1"], async () => {
  const postgres = await startPostgres();
  const figures: IngestFigures[] = [];
  try {
    figures.push(await benchIngest(root, buildDir, "sqlite", sqliteUrl(), options));
    figures.push(await benchIngest(root, buildDir, "postgresql", await postgres.newDatabaseUrl(), options));
  } finally {
    await postgres.stop();
  }

  console.log(
    `\nP1 webhook ingest: ${options.events} signed issue_comment.created deliveries (1–3 conversation URLs), ${options.concurrency} in flight, over HTTP; median of ${options.rounds} alternating rounds`,
  );
  console.log("engine       app        events/s    p50 ms    p99 ms  failures");
  for (const { engine, bare, closeloop, drainSeconds, roundRatios, cpu, walBytesPerDelivery, inbox } of figures) {
    for (const [name, result] of [
      ["bare probot", bare],
      ["closeloop", closeloop],
    ] as const) {
      console.log(
        `${engine.padEnd(12)} ${name.padEnd(11)} ${result.eventsPerSecond.toFixed(0).padStart(8)} ${result.p50Ms.toFixed(2).padStart(9)} ${result.p99Ms.toFixed(2).padStart(9)} ${String(result.failures).padStart(9)}`,
      );
    }
    const throughput = closeloop.eventsPerSecond / bare.eventsPerSecond;
    const latency = closeloop.p99Ms / bare.p99Ms;
    const endToEnd = closeloop.events / (closeloop.seconds + drainSeconds);
    console.log(
      `${engine.padEnd(12)} closeloop stored every link ${drainSeconds.toFixed(2)} s after the last 200: ${endToEnd.toFixed(0)} events/s end to end (inbox to links)`,
    );
    console.log(
      `${engine.padEnd(12)} ratio: events/s ${throughput.toFixed(2)}× (target ≥ 1.00×) ${throughput >= 1 ? "MET" : "MISSED"}; p99 ${latency.toFixed(2)}× (target ≤ 1.50×) ${latency <= 1.5 ? "MET" : "MISSED"}`,
    );
    const micros = (value: number | null) => (value === null ? "?" : value.toFixed(0));
    console.log(
      `${engine.padEnd(12)} CPU per delivery while loaded: bare probot ${micros(cpu.bare)} µs, closeloop ${micros(cpu.closeloop)} µs` +
        (cpu.database === null ? "" : ` + PostgreSQL ${micros(cpu.database)} µs`),
    );
    if (cpu.database !== null)
      console.log(
        `${engine.padEnd(12)} PostgreSQL's CPU per delivery by process: ${[...cpu.databaseByKind]
          .filter(([, us]) => us >= 0.5)
          .sort((a, b) => b[1] - a[1])
          .map(([kind, us]) => `${kind} ${micros(us)} µs`)
          .join(", ")}; WAL ${micros(walBytesPerDelivery)} bytes per delivery`,
      );
    console.log(
      `${engine.padEnd(12)} events/s ratio round by round: ${roundRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(" ")}`,
    );
    console.log(
      `${engine.padEnd(12)} closeloop's inbox while loaded: ${inbox.perCommit === null ? "?" : inbox.perCommit.toFixed(1)} deliveries per commit; ${micros(inbox.processedDuringLoad)} deliveries processed by its worker meanwhile`,
    );
  }
});

// BENCH_BASELINE=<another checkout, built> measures its server beside this one's, in the same run.
await section(["burst"], () => runLabelBurst(root, process.env.BENCH_BASELINE));

await section(["p3"], async () => {
  await runP3(Number(process.env.BENCH_P3_SECONDS ?? 30));
  await runZendeskClose();
});
await section(["p3r"], () => runP3r(Number(process.env.BENCH_P3R_SECONDS ?? 15)));

// P6 and P7 share one seed per engine (100,000 issues, 1,000,000 links).
await section(["p6", "p7"], async () => {
  const postgres = await startPostgres();
  try {
    await runP6(() => postgres.newDatabaseUrl(), { p6: runs("p6"), p7: runs("p7") });
  } finally {
    await postgres.stop();
  }
});

await section(["p8"], () =>
  runP8(root, {
    deliveries: Number(process.env.BENCH_P8_DELIVERIES ?? 300),
    repositories: Number(process.env.BENCH_P8_REPOSITORIES ?? 1),
    pairs: roundPairs(process.env.BENCH_P8_ROUNDS),
  }),
);

// The install backfill of a big installation (1,000 repositories, 100k issues, 1M comments at full size; a tenth by
// default, so the section takes minutes rather than most of an hour on a small machine).
await section(["backfill"], async () => {
  const postgres = await startPostgres();
  try {
    await runBackfillBench(
      root,
      buildDir,
      [
        { engine: "sqlite", url: async () => sqliteUrl() },
        { engine: "postgresql", url: () => postgres.newDatabaseUrl() },
      ],
      {
        repositories: Number(process.env.BENCH_BACKFILL_REPOSITORIES ?? 100),
        issues: Number(process.env.BENCH_BACKFILL_ISSUES ?? 10_000),
        comments: Number(process.env.BENCH_BACKFILL_COMMENTS ?? 100_000),
        callsPerSecond: Number(process.env.BENCH_BACKFILL_RATE ?? 3.5),
        events: Number(process.env.BENCH_BACKFILL_EVENTS ?? 1000),
        concurrency: options.concurrency,
        rounds: options.rounds,
        engines: process.env.BENCH_BACKFILL_ENGINES?.split(",").map((engine) => engine.trim()),
        sampleActivity: process.env.BENCH_BACKFILL_ACTIVITY === "1",
        trickleSeconds: Number(process.env.BENCH_BACKFILL_TRICKLE_SECONDS ?? 0),
        cpuProfileDir: process.env.BENCH_BACKFILL_CPU_PROF || undefined,
      },
    );
  } finally {
    await postgres.stop();
  }
});

// Database growth (#25): rows per link and per delivery and the database's size, extrapolated to 10M links.
await section(["growth"], async () => {
  const postgres = await startPostgres();
  try {
    await runGrowth(
      [
        { engine: "sqlite", url: async () => sqliteUrl() },
        { engine: "postgresql", url: () => postgres.newDatabaseUrl() },
      ],
      Number(process.env.BENCH_GROWTH_DELIVERIES ?? 2000),
    );
  } finally {
    await postgres.stop();
  }
});

// npm start on a built tree answers /healthz within 3 s (SPEC §10), on a new database and again on it.
await section(["start"], async () => {
  const postgres = await startPostgres();
  try {
    await runStart(
      root,
      [
        { engine: "sqlite", url: sqliteUrl },
        { engine: "postgresql", url: () => postgres.newDatabaseUrl() },
      ],
      Number(process.env.BENCH_START_RUNS ?? 5),
    );
  } finally {
    await postgres.stop();
  }
});

await section(["copy"], async () => {
  const postgres = await startPostgres();
  try {
    await runCopyBench(root, () => postgres.newDatabaseUrl());
  } finally {
    await postgres.stop();
  }
});

// Last: P2 loads nock, which patches http and fetch for the rest of the process.
await section(["p2", "p4", "p5"], async () => {
  const postgres = await startPostgres();
  try {
    if (runs("p2")) {
      // Imported only now: it loads test/support/github.ts, whose nock patches http and fetch for the whole process.
      const { runP2 } = await import("./labels-p2.js");
      await runP2([
        { engine: "sqlite", url: sqliteUrl },
        { engine: "postgresql", url: () => postgres.newDatabaseUrl() },
      ]);
    }
    if (runs("p4", "p5")) await runP4P5(() => postgres.newDatabaseUrl());
  } finally {
    await postgres.stop();
  }
});
