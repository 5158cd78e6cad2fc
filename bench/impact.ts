import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rankIssues } from "../src/dashboard/impact.js";
import { DEFAULT_IMPACT_QUERY, type ImpactQuery, type RepositoryScope } from "../src/domain/impact-query.js";
import { refreshImpact } from "../src/store/impact.js";
import { refreshPlannerStatistics } from "../src/store/statistics.js";
import { timeParameter } from "../src/store/raw-values.js";
import { openMigratedDatabase } from "./bench-database.js";
import { labelSweepSize, NOW, seed } from "./labels.js";
import { startPostgres } from "./processes.js";
import { benchSidebarLoad, P7_MS, type SidebarLoadFigures } from "./sidebar.js";
import { inTempRoot } from "../test/support/temp-root.js";

// P6 (README Development): the dashboard's impact page over P4's seed (100,000 issues, 1,000,000 live links posted
// over 30 days at P4's first size; a million issues when that size is), timing rankIssues in
// this process, as the page's handler calls it for a person who may read the repository: its server time without HTTP.
const P6_MS = 300;
/** The first count of every issue after an upgrade, at 100,000 issues and a million links (issue #25) */
const FIRST_COUNT_SECONDS = 20;
const FIRST_COUNT_ISSUES = 100_000;
/** What the page's handler passes for a signed-in person who may read the seed's repository */
const SCOPE = { repositoryIds: [1n] };
/**
 * One issue in a thousand is moved to a small repository of its own, and one other in a thousand has its links on a
 * helpdesk no other issue uses: the views of someone who may read only that repository, and of that helpdesk, find
 * their few rows among all the others.
 */
const RARE = 1_000;
const SMALL_REPOSITORY = { id: 2n, owner: "bench", name: "small" };

const QUERIES: { name: string; query: Partial<ImpactQuery>; scope?: RepositoryScope }[] = [
  { name: "default (open, 30 days, by reports)", query: {} },
  {
    name: "filtered (team, helpdesk, repository)",
    query: { team: "team: billing", helpdesk: "zendesk", repository: "bench/labels" },
  },
  { name: "sorted (7 days, by last report, page 3)", query: { days: 7, sort: "last", page: 3 } },
  { name: "small scope (0.1 % of issues)", query: {}, scope: { repositoryIds: [SMALL_REPOSITORY.id] } },
  { name: "rare helpdesk (0.1 % of issues)", query: { helpdesk: "front" } },
  { name: "by customers", query: { sort: "customers" } },
  { name: "by age", query: { sort: "age" } },
  { name: "by waiting (0.2 % of issues)", query: { sort: "waiting" } },
  { name: "open and closed, page 2", query: { state: "all", page: 2 } },
  { name: "label (10 % of issues)", query: { label: "team: billing" } },
  { name: "rare label (0.1 % of issues)", query: { label: "team: rare" } },
];

export interface ImpactFigures {
  engine: string;
  seedSeconds: number;
  /** SQLite: the server's first gathering of its planner statistics on the seeded file (src/store/statistics.ts) */
  statisticsSeconds?: number;
  /** the first count of every issue after the seed (a new install's first page, or the migration's) */
  coldSeconds: number;
  /** `total` as the page says it: "10000+" past the ranking's cap */
  queries: { name: string; p50Ms: number; p95Ms: number; total: string }[];
  /** issues counted again during the timed runs (their reports left a window as the clock moved) */
  recounted: number;
  /** P7, timed on the same seed */
  sidebar?: SidebarLoadFigures;
}

/** Which of the two sections share the seed: P6's pages (runs per query) and P7's sidebar loads (0: off). */
export interface SeedSections {
  p6: boolean;
  p7Loads: number;
}

/** Seeds, counts every issue once, then times `runs` pages of each query, the clock moving one second per page. */
export async function benchImpact(
  engine: string,
  url: string,
  issues: number,
  links: number,
  runs: number,
  sections: SeedSections = { p6: true, p7Loads: 0 },
): Promise<ImpactFigures> {
  const seedStarted = performance.now();
  const { statisticsSeconds } = await seed(url, issues, links);
  const database = await openMigratedDatabase(url);
  const { prisma } = database;
  try {
    // The seed writes rows directly, so it marks nothing: every issue is due, as after the migration.
    const epoch = new Date(0);
    await prisma.$executeRaw`UPDATE "Issue" SET "impactDueAt" = ${epoch}, "title" = 'Issue ' || CAST("id" AS TEXT)`;
    // Opened at a time spread over the three years before NOW (scattered by id, a few issues at the same second), one
    // in a hundred not known yet, for the view by age.
    const openedSecondsAgo = `CAST("id" AS BIGINT) * 7919 % ${3 * 365 * 24 * 3600}`;
    await prisma.$executeRawUnsafe(
      engine === "sqlite"
        ? `UPDATE "Issue" SET "openedAt" = CASE WHEN "id" % 100 = 3 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%f+00:00', '${NOW.toISOString()}', '-' || (${openedSecondsAgo}) || ' seconds') END`
        : `UPDATE "Issue" SET "openedAt" = CASE WHEN "id" % 100 = 3 THEN NULL ELSE TIMESTAMP '${NOW.toISOString().replace("T", " ").replace("Z", "")}' - (${openedSecondsAgo}) * INTERVAL '1 second' END`,
    );
    await prisma.repository.create({
      data: { ...SMALL_REPOSITORY, installationId: 1n, fullName: `${SMALL_REPOSITORY.owner}/${SMALL_REPOSITORY.name}` },
    });
    await prisma.$executeRaw`UPDATE "Issue" SET "repositoryId" = ${SMALL_REPOSITORY.id} WHERE "id" % ${RARE} = 1`;
    await prisma.$executeRaw`UPDATE "Link" SET "provider" = 'front' WHERE "issueId" % ${RARE} = 2`;
    // One issue in ten carries a team label (the filtered and label views); one other in a thousand a rarely used one.
    const yes = engine === "sqlite" ? "1" : "true";
    for (const [label, where] of [
      ["team: billing", `"id" % 10 = 0`],
      ["team: rare", `"id" % ${RARE} = 3`],
    ])
      await prisma.$executeRawUnsafe(`INSERT INTO "IssueLabel" ("issueId", "key", "name", "present", "seenAt", "applied", "kind")
        SELECT "id", '${label}', '${label}', ${yes}, "createdAt", ${yes}, 'team' FROM "Issue" WHERE ${where}`);
    // Two issues in a thousand were closed, reopening one to three conversations, all but the third of which still
    // wait for an agent's answer, for the view by waiting.
    const now = timeParameter(prisma, NOW);
    await prisma.$executeRaw`INSERT INTO "IssueClose" ("issueId", "closedAt", "reason", "note", "summary")
      SELECT "id", ${now}, 'completed', '', ${false} FROM "Issue" WHERE "id" % ${RARE / 2} = 7`;
    await prisma.$executeRaw`INSERT INTO "ReopenJob" ("closeId", "linkId", "provider", "account", "conversationId", "url", "state", "updatedAt")
      SELECT c."id", n."n", 'zendesk', 'acme', CAST(c."id" AS TEXT) || '-' || CAST(n."n" AS TEXT), '', 'done', ${now}
      FROM "IssueClose" c CROSS JOIN (SELECT 1 AS "n" UNION ALL SELECT 2 UNION ALL SELECT 3) n WHERE n."n" <= 1 + c."issueId" % 3`;
    await prisma.$executeRaw`INSERT INTO "AnswerWatch" ("reopenJobId", "closeId", "provider", "account", "conversationId", "url", "reopenedAt", "outcome", "updatedAt")
      SELECT j."id", j."closeId", j."provider", j."account", j."conversationId", j."url", ${now},
        CASE WHEN j."linkId" = 3 THEN 'answered' END, ${now}
      FROM "ReopenJob" j`;
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const coldStarted = performance.now();
    if (sections.p6) await refreshImpact(prisma, NOW);
    const coldSeconds = (performance.now() - coldStarted) / 1000;
    // SQLite: the statistics the server gathers after its next sweep (src/store/statistics.ts), the counts and labels
    // written above included. PostgreSQL: what autovacuum does in service, as the seed analysed its tables; also the
    // visibility map a million inserts have it set, without which a total counted from an index alone reads the table
    // too; and the labels written above, which autovacuum analyses within its minute, sometimes before the label views
    // run and sometimes during them. Without their statistics the filtered view's page was read label first and sorted
    // (115 ms at 100,000 issues, against 6 ms in the ranking's order with them), so its figure depended on when
    // autovacuum came.
    if (engine === "postgresql") {
      await prisma.$executeRawUnsafe(`VACUUM ANALYZE "IssueImpact"`);
      await prisma.$executeRawUnsafe(`ANALYZE "IssueLabel"`);
    } else await refreshPlannerStatistics(prisma, database.engine);

    let clock = NOW.getTime();
    const due = await prisma.issueImpact.count({
      where: { dueAt: { lte: new Date(clock + QUERIES.length * (runs + 5) * 1000) } },
    });
    const queries = [];
    for (const { name, query, scope = SCOPE } of sections.p6 ? QUERIES : []) {
      const times: number[] = [];
      let total = "";
      for (let run = 0; run < runs + 5; run++) {
        clock += 1000;
        const started = performance.now();
        const page = await rankIssues(prisma, { ...DEFAULT_IMPACT_QUERY, ...query }, scope, new Date(clock));
        if (run >= 5) times.push(performance.now() - started);
        total = `${page.total}${page.totalCapped ? "+" : ""}`;
      }
      times.sort((a, b) => a - b);
      queries.push({ name, p50Ms: percentile(times, 0.5), p95Ms: percentile(times, 0.95), total });
    }
    const sidebar = sections.p7Loads > 0 ? await benchSidebarLoad(database, links, sections.p7Loads) : undefined;
    return {
      engine,
      seedSeconds,
      ...(statisticsSeconds !== undefined && { statisticsSeconds }),
      coldSeconds,
      queries,
      recounted: due,
      ...(sidebar && { sidebar }),
    };
  } finally {
    await database.close();
  }
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/** P6 and P7 on each engine of BENCH_LABEL_ENGINES (P4's sizes, one seed for both), printed with their targets. */
export async function runP6(
  newPostgresUrl?: () => Promise<string>,
  sections: { p6: boolean; p7: boolean } = { p6: true, p7: true },
): Promise<void> {
  const { links, issues, engines } = labelSweepSize();
  const runs = Number(process.env.BENCH_P6_RUNS ?? 40);
  const p7Loads = sections.p7 ? Number(process.env.BENCH_P7_LOADS ?? 200) : 0;
  const results: ImpactFigures[] = [];
  const postgres = engines.includes("postgresql") && !newPostgresUrl ? await startPostgres() : undefined;
  try {
    for (const engine of engines) {
      const url =
        engine === "sqlite"
          ? `file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-impact-")), "closeloop.db")}`
          : await (newPostgresUrl ?? postgres!.newDatabaseUrl)();
      results.push(await benchImpact(engine, url, issues, links, runs, { p6: sections.p6, p7Loads }));
    }
  } finally {
    await postgres?.stop();
  }
  if (sections.p6) printP6(results, issues, links, runs);
  if (sections.p7) printP7(results, issues, links, p7Loads);
}

function printP6(results: readonly ImpactFigures[], issues: number, links: number, runs: number): void {
  console.log(
    `\nP6 impact page: rankIssues over ${issues.toLocaleString("en")} issues and ${links.toLocaleString("en")} live links, ${runs} pages of 50 per query after 5 warm-up pages, the clock one second later each page (due counts recounted on the way)`,
  );
  for (const { engine, seedSeconds, statisticsSeconds, coldSeconds, queries, recounted } of results) {
    const target =
      issues === FIRST_COUNT_ISSUES
        ? ` = ${(coldSeconds / FIRST_COUNT_SECONDS).toFixed(2)}× of ≤ ${FIRST_COUNT_SECONDS} s ${coldSeconds <= FIRST_COUNT_SECONDS ? "MET" : "MISSED"}`
        : ` (target ≤ ${FIRST_COUNT_SECONDS} s at ${FIRST_COUNT_ISSUES.toLocaleString("en")} issues)`;
    console.log(
      `${engine.padEnd(12)} seed ${seedSeconds.toFixed(1)} s${statisticsSeconds === undefined ? "" : ` (the server's first planner statistics ${statisticsSeconds.toFixed(2)} s of it)`}; first count of every issue ${coldSeconds.toFixed(1)} s${target}; ${recounted} issues due again during the runs (load average ${loadavg()
        .map((load) => load.toFixed(1))
        .join(" ")})`,
    );
    console.log(
      `${"".padEnd(12)} ${"query".padEnd(42)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)}  issues  target`,
    );
    for (const query of queries) {
      console.log(
        `${"".padEnd(12)} ${query.name.padEnd(42)} ${query.p50Ms.toFixed(1).padStart(8)} ${query.p95Ms.toFixed(1).padStart(8)} ${query.total.padStart(7)}  p95 ${(query.p95Ms / P6_MS).toFixed(2)}× of ≤ ${P6_MS} ms ${query.p95Ms <= P6_MS ? "MET" : "MISSED"}`,
      );
    }
  }
}

function printP7(results: readonly ImpactFigures[], issues: number, links: number, loads: number): void {
  console.log(
    `\nP7 sidebar load (same seed as P6: ${issues.toLocaleString("en")} issues, ${links.toLocaleString("en")} live links): the Zendesk page (RS256 JWT verified, token minted) and the panel's links of one ticket, ${loads} loads after 10 warm-up ones, in process (server time, no sockets)`,
  );
  for (const { engine, sidebar } of results) {
    if (!sidebar) continue;
    console.log(
      `${engine.padEnd(12)} p50 ${sidebar.p50Ms.toFixed(1)} ms, p95 ${sidebar.p95Ms.toFixed(1)} ms (medians: page ${sidebar.pageP50Ms.toFixed(1)} ms, links ${sidebar.panelP50Ms.toFixed(1)} ms; ${sidebar.linksShown} links shown)  p95 ${(sidebar.p95Ms / P7_MS).toFixed(2)}× of ≤ ${P7_MS} ms ${sidebar.p95Ms <= P7_MS ? "MET" : "MISSED"}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await inTempRoot("closeloop-bench-", () => runP6());
