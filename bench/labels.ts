import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SweepFigures } from "../src/labels/sweep.js";
import { openMigratedDatabase } from "./bench-database.js";
import { startPostgres } from "./processes.js";

// P4 / P5 (README, Development): the decay sweep's core (src/labels/sweep.ts) over a million live links on 100,000 issues, every
// issue due (the worst case: the first sweep, or one after a config change), on SQLite and PostgreSQL. The database
// is seeded here with set-based SQL; the sweep runs in a child process of its own (bench/label-sweep-child.ts), so
// its time and peak RSS are the sweep's alone. Part of `npm run bench`; also runs on its own:
//
//   npm run build && npx tsc -p tsconfig.bench.json && node build-bench/bench/labels.js
//   BENCH_LABEL_LINKS=1000000 BENCH_LABEL_ISSUES=100000 BENCH_LABEL_ENGINES=sqlite,postgresql BENCH_LABEL_BATCH=500 (defaults)

export const NOW = new Date("2027-01-01T00:00:00Z");
const DAY_SECONDS = 86_400;
// Prisma's SQLite adapter stores DateTime as ISO 8601 text with "+00:00".
const sqliteTime = (date: Date) => date.toISOString().replace("Z", "+00:00");
/** P4 (on SQLite) and P5, at a million links (README, Development) */
const P4_SECONDS = 10;
const P5_MB = 200;

interface SweepRun {
  seconds: number;
  readSeconds: number;
  writeSeconds: number;
  maxRssMb: number;
  figures: SweepFigures;
}

export interface LabelSweepFigures {
  engine: string;
  seedSeconds: number;
  run: SweepRun;
}

/** The sweep's size and engines, from BENCH_LABEL_* (the default million links is P4's and P5's, README Development). */
export function labelSweepSize(env: NodeJS.ProcessEnv = process.env): {
  links: number;
  issues: number;
  engines: string[];
} {
  return {
    links: Number(env.BENCH_LABEL_LINKS ?? 1_000_000),
    issues: Number(env.BENCH_LABEL_ISSUES ?? 100_000),
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
  return { engine, seedSeconds, run: await sweepInChild(url) };
}

/**
 * P4 and P5 on each engine of BENCH_LABEL_ENGINES, printed with their targets (called by bench/run.ts, and by this
 * file run on its own). `newPostgresUrl` gives a new PostgreSQL database; without it one is started.
 */
export async function runP4P5(newPostgresUrl?: () => Promise<string>): Promise<void> {
  const { links, issues, engines } = labelSweepSize();
  const results: LabelSweepFigures[] = [];
  const postgres = engines.includes("postgresql") && !newPostgresUrl ? await startPostgres() : undefined;
  try {
    for (const engine of engines) {
      const url =
        engine === "sqlite"
          ? `file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-labels-")), "closeloop.db")}`
          : await (newPostgresUrl ?? postgres!.newDatabaseUrl)();
      results.push(await benchLabelSweep(engine, url, issues, links));
    }
  } finally {
    await postgres?.stop();
  }
  const scaled = links === 1_000_000 ? "" : ` (not 1,000,000: the targets are for a million)`;
  console.log(
    `\nP4/P5 label sweep: ${links.toLocaleString("en")} live links on ${issues.toLocaleString("en")} issues${scaled}, every issue due; read, frequencyOf + next change, write back; the sweep alone in a child process`,
  );
  console.log("engine       seed s   sweep s  (read   write)    issues     links  changed  issues/s  peak RSS MB");
  for (const { engine, seedSeconds, run } of results) {
    const { figures } = run;
    console.log(
      `${engine.padEnd(12)} ${seedSeconds.toFixed(1).padStart(6)} ${run.seconds.toFixed(2).padStart(9)}  (${run.readSeconds.toFixed(2).padStart(5)} ${run.writeSeconds.toFixed(2).padStart(6)}) ${String(figures.issues).padStart(9)} ${String(figures.links).padStart(9)} ${String(figures.changed).padStart(8)} ${(figures.issues / run.seconds).toFixed(0).padStart(9)} ${run.maxRssMb.toFixed(0).padStart(12)}`,
    );
    if (figures.links !== links || figures.issues !== issues)
      console.log(`${engine}: swept ${figures.issues} issues / ${figures.links} links, expected ${issues} / ${links}`);
  }
  for (const { engine, run } of results) {
    const target = engine === "sqlite" ? "" : " (the P4 target is for SQLite; shown for comparison)";
    console.log(
      `${engine.padEnd(12)} P4: sweep ${run.seconds.toFixed(2)} s = ${(run.seconds / P4_SECONDS).toFixed(2)}× of target ≤ ${P4_SECONDS} s ${met(run.seconds <= P4_SECONDS)}${target}; P5: peak RSS ${run.maxRssMb.toFixed(0)} MB = ${(run.maxRssMb / P5_MB).toFixed(2)}× of target ≤ ${P5_MB} MB ${met(run.maxRssMb <= P5_MB)}`,
    );
  }
}

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

/**
 * `issues` issues in one repository, each with one comment carrying `links / issues` live links posted over the last
 * 30 days; 70 % of links have a customer (5,000 customers), the rest none. Every issue was last evaluated as daily and
 * is due. All in set-based SQL, so seeding does not weigh on the figures.
 */
export async function seed(url: string, issues: number, links: number): Promise<void> {
  const database = await openMigratedDatabase(url);
  const { prisma, engine } = database;
  const perIssue = Math.max(1, Math.round(links / issues));
  const now = NOW.toISOString();
  try {
    await prisma.repository.create({
      data: { id: 1n, installationId: 1n, owner: "bench", name: "labels", fullName: "bench/labels" },
    });
    if (engine === "sqlite") {
      const sql = (text: string) => prisma.$executeRawUnsafe(text);
      await sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${issues})
        INSERT INTO "Issue" ("id", "repositoryId", "number", "githubId", "state", "createdAt", "frequency", "labelsDueAt")
        SELECT i, 1, i, i, 'open', '${sqliteTime(NOW)}', 'daily', '${sqliteTime(new Date(NOW.getTime() - 1000))}' FROM n`);
      await sql(
        `INSERT INTO "Source" ("id", "issueId", "kind", "key", "createdAt") SELECT "id", "id", 'comment', CAST("id" AS TEXT), '${sqliteTime(NOW)}' FROM "Issue"`,
      );
      await sql(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${perIssue * issues - 1})
        INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt", "customerHash")
        SELECT i + 1, i / ${perIssue} + 1, 'zendesk', 'acme', CAST(i AS TEXT), 'https://acme.zendesk.com/agent/tickets/' || i, 'comment',
          strftime('%Y-%m-%dT%H:%M:%f+00:00', '${now}', '-' || (abs(random()) % ${30 * DAY_SECONDS}) || ' seconds'),
          CASE WHEN abs(random()) % 10 < 7 THEN 'customer-' || (abs(random()) % 5000) END
        FROM n`);
      await sql(
        `INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") SELECT "id", "issueId", "linkedAt" FROM "Link"`,
      );
      await sql(`ANALYZE`);
    } else {
      const sql = (text: string) => prisma.$executeRawUnsafe(text);
      await sql(`INSERT INTO "Issue" ("id", "repositoryId", "number", "githubId", "state", "createdAt", "frequency", "labelsDueAt")
        SELECT i, 1, i, i, 'open', TIMESTAMP '${now}', 'daily', TIMESTAMP '${now}' - INTERVAL '1 second' FROM generate_series(1, ${issues}) AS i`);
      await sql(
        `INSERT INTO "Source" ("id", "issueId", "kind", "key", "createdAt") SELECT "id", "id", 'comment', "id"::text, TIMESTAMP '${now}' FROM "Issue"`,
      );
      await sql(`INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt", "customerHash")
        SELECT i + 1, i / ${perIssue} + 1, 'zendesk', 'acme', i::text, 'https://acme.zendesk.com/agent/tickets/' || i, 'comment',
          TIMESTAMP '${now}' - random() * INTERVAL '30 days', CASE WHEN random() < 0.7 THEN 'customer-' || floor(random() * 5000)::int END
        FROM generate_series(0, ${perIssue * issues - 1}) AS i`);
      await sql(
        `INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") SELECT "id", "issueId", "linkedAt" FROM "Link"`,
      );
      // The sequences were bypassed by the explicit ids.
      for (const table of ["Issue", "Source", "Link"])
        await sql(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), (SELECT max("id") FROM "${table}"))`);
      await sql(`VACUUM ANALYZE`);
    }
  } finally {
    await database.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runP4P5();
