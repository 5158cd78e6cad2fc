import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SweepFigures } from "../src/labels/sweep.js";
import { parseDatabaseUrl } from "../src/store/database-url.js";
import { openDatabase } from "../src/store/database.js";
import { migrate, readMigrationFiles } from "../src/store/migrations.js";
import { startPostgres } from "./processes.js";

// P4 / P5 micro-benchmark (not in `npm run bench` yet): the decay sweep's core (src/labels/sweep.ts) over a million
// live links on 100,000 issues, every issue due (the worst case: the first sweep, or one after a config change), on
// SQLite and PostgreSQL. The database is seeded here with set-based SQL; the sweep runs in a child process of its own
// (bench/label-sweep-child.ts), so its time and peak RSS are the sweep's alone.
//
//   npm run build && npx tsc -p tsconfig.bench.json && node build-bench/bench/labels.js
//   BENCH_LABEL_LINKS=1000000 BENCH_LABEL_ISSUES=100000 BENCH_LABEL_ENGINES=sqlite,postgresql BENCH_LABEL_BATCH=500 (defaults)

const NOW = new Date("2027-01-01T00:00:00Z");
const DAY_SECONDS = 86_400;
// Prisma's SQLite adapter stores DateTime as ISO 8601 text with "+00:00".
const sqliteTime = (date: Date) => date.toISOString().replace("Z", "+00:00");

interface SweepRun {
  seconds: number;
  readSeconds: number;
  writeSeconds: number;
  maxRssMb: number;
  figures: SweepFigures;
}

const links = Number(process.env.BENCH_LABEL_LINKS ?? 1_000_000);
const issues = Number(process.env.BENCH_LABEL_ISSUES ?? 100_000);
const engines = (process.env.BENCH_LABEL_ENGINES ?? "sqlite,postgresql").split(",");
const results: { engine: string; seedSeconds: number; run: SweepRun }[] = [];
const postgres = engines.includes("postgresql") ? await startPostgres() : undefined;
try {
  for (const engine of engines) {
    const url = engine === "sqlite" ? `file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-labels-")), "closeloop.db")}` : await postgres!.newDatabaseUrl();
    const seedStarted = performance.now();
    await seed(url, issues, links);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    results.push({ engine, seedSeconds, run: await sweepInChild(url) });
  }
} finally {
  await postgres?.stop();
}
console.log(`\nP4/P5 label sweep: ${links.toLocaleString("en")} live links on ${issues.toLocaleString("en")} issues, every issue due; read, frequencyOf + next change, write back`);
console.log("engine       seed s   sweep s  (read   write)  issues/s   links/s  changed  peak RSS MB  P4 (≤ 10 s)  P5 (≤ 200 MB)");
for (const { engine, seedSeconds, run } of results) {
  const { figures } = run;
  console.log(
    `${engine.padEnd(12)} ${seedSeconds.toFixed(1).padStart(6)} ${run.seconds.toFixed(2).padStart(9)}  (${run.readSeconds.toFixed(2).padStart(5)} ${run.writeSeconds.toFixed(2).padStart(6)}) ${(figures.issues / run.seconds).toFixed(0).padStart(10)} ${(figures.links / run.seconds).toFixed(0).padStart(9)} ${String(figures.changed).padStart(8)} ${run.maxRssMb.toFixed(0).padStart(12)}  ${(run.seconds <= 10 ? "MET" : "MISSED").padStart(11)}  ${(run.maxRssMb <= 200 ? "MET" : "MISSED").padStart(13)}`,
  );
  if (figures.links !== links || figures.issues !== issues) console.log(`${engine}: swept ${figures.issues} issues / ${figures.links} links, expected ${issues} / ${links}`);
}

async function sweepInChild(url: string): Promise<SweepRun> {
  const child = spawn(process.execPath, [fileURLToPath(new URL("label-sweep-child.js", import.meta.url)), url, NOW.toISOString()], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the sweep exited with ${code}: ${output}`);
  return JSON.parse(output.trim().split("\n").at(-1)!) as SweepRun;
}

/**
 * `issues` issues in one repository, each with one comment carrying `links / issues` live links posted over the last
 * 30 days; 70 % of links have a customer (5,000 customers), the rest none. Every issue was last evaluated as daily and
 * is due. All in set-based SQL, so seeding does not weigh on the figures.
 */
async function seed(url: string, issues: number, links: number): Promise<void> {
  const target = parseDatabaseUrl(url);
  // Compiled to build-bench/, two levels below the repository's prisma/ folder.
  await migrate(target, readMigrationFiles(target.engine, fileURLToPath(new URL("../../prisma/", import.meta.url))));
  const database = await openDatabase(target);
  const { prisma, engine } = database;
  const perIssue = Math.max(1, Math.round(links / issues));
  const now = NOW.toISOString();
  try {
    await prisma.repository.create({ data: { id: 1n, installationId: 1n, owner: "bench", name: "labels", fullName: "bench/labels" } });
    if (engine === "sqlite") {
      const sql = (text: string) => prisma.$executeRawUnsafe(text);
      await sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${issues})
        INSERT INTO "Issue" ("id", "repositoryId", "number", "githubId", "state", "createdAt", "frequency", "labelsDueAt")
        SELECT i, 1, i, i, 'open', '${sqliteTime(NOW)}', 'daily', '${sqliteTime(new Date(NOW.getTime() - 1000))}' FROM n`);
      await sql(`INSERT INTO "Source" ("id", "issueId", "kind", "key", "version") SELECT "id", "id", 'comment', CAST("id" AS TEXT), '${sqliteTime(NOW)}' FROM "Issue"`);
      await sql(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${perIssue * issues - 1})
        INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt", "customerHash")
        SELECT i + 1, i / ${perIssue} + 1, 'zendesk', 'acme', CAST(i AS TEXT), 'https://acme.zendesk.com/agent/tickets/' || i, 'comment',
          strftime('%Y-%m-%dT%H:%M:%f+00:00', '${now}', '-' || (abs(random()) % ${30 * DAY_SECONDS}) || ' seconds'),
          CASE WHEN abs(random()) % 10 < 7 THEN 'customer-' || (abs(random()) % 5000) END
        FROM n`);
      await sql(`INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") SELECT "id", "issueId", "linkedAt" FROM "Link"`);
      await sql(`ANALYZE`);
    } else {
      const sql = (text: string) => prisma.$executeRawUnsafe(text);
      await sql(`INSERT INTO "Issue" ("id", "repositoryId", "number", "githubId", "state", "createdAt", "frequency", "labelsDueAt")
        SELECT i, 1, i, i, 'open', TIMESTAMP '${now}', 'daily', TIMESTAMP '${now}' - INTERVAL '1 second' FROM generate_series(1, ${issues}) AS i`);
      await sql(`INSERT INTO "Source" ("id", "issueId", "kind", "key", "version") SELECT "id", "id", 'comment', "id"::text, TIMESTAMP '${now}' FROM "Issue"`);
      await sql(`INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt", "customerHash")
        SELECT i + 1, i / ${perIssue} + 1, 'zendesk', 'acme', i::text, 'https://acme.zendesk.com/agent/tickets/' || i, 'comment',
          TIMESTAMP '${now}' - random() * INTERVAL '30 days', CASE WHEN random() < 0.7 THEN 'customer-' || floor(random() * 5000)::int END
        FROM generate_series(0, ${perIssue * issues - 1}) AS i`);
      await sql(`INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") SELECT "id", "issueId", "linkedAt" FROM "Link"`);
      // The sequences were bypassed by the explicit ids.
      for (const table of ["Issue", "Source", "Link"]) await sql(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), (SELECT max("id") FROM "${table}"))`);
      await sql(`VACUUM ANALYZE`);
    }
  } finally {
    await database.close();
  }
}
