import { DAY_MS, type Report } from "../domain/frequency.js";
import type { ProviderId } from "../domain/link.js";
import { labelKey } from "../domain/team-labels.js";
import type { ImpactQuery, ImpactWindow, RepositoryScope } from "../domain/impact-query.js";
import { IMPACT_WINDOWS, summariseImpact } from "../domain/impact.js";
import type { Prisma } from "./database.js";
import { idTable } from "./id-table.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/** One ranked issue as the ranking query returns it; the rest of its row comes from `readImpactDetails`. */
export interface RankedIssue {
  issueId: number;
  repository: string;
  number: number;
  title: string | null;
  state: string;
  openedAt: Date | null;
  reports: number;
  customers: number;
}

interface RankingRow {
  issueId: number;
  owner: string;
  name: string;
  number: number;
  title: string | null;
  state: string;
  openedAt: Date | string | null;
  reports: number | bigint;
  customers: number | bigint;
}

// A link is live while a source carries it (src/store/labels.ts reads reports the same way).
const live = (link: string) => Sql.raw(`EXISTS (SELECT 1 FROM "LinkSource" s WHERE s."linkId" = ${link}."id")`);

/** What marks an issue's counts due now, in the statement that marks its labels wanted (issue-markings.ts). */
export function impactDue(at: Date): Sql.Sql {
  return Sql.sql`"impactDueAt" = ${at}, "impactGeneration" = "impactGeneration" + 1`;
}

const REFRESH_BATCH = 1000;

/**
 * Counts again the issues whose counts are due at `now`: those a change marked, then those a report of which left a
 * window, with the domain's definitions (src/domain/impact.ts), a batch at a time (two reads and one write
 * transaction per batch). A count whose issue was marked meanwhile is dropped; the mark leaves it due, for the next
 * call (one call counts an issue once). Stops after the batch that reaches `limit` issues (the background worker's
 * round), else when nothing is due. Returns how many issues were counted.
 */
export async function refreshImpact(
  prisma: Prisma,
  now: Date,
  batch = REFRESH_BATCH,
  limit = Infinity,
): Promise<number> {
  const marked = () => prisma.$queryRaw<DueIssue[]>`
    SELECT "id", "impactGeneration" AS "generation", "repositoryId", "state" FROM "Issue" WHERE "impactDueAt" <= ${now} ORDER BY "impactDueAt" LIMIT ${batch}`;
  // Unmarked since counted (a mark would have made it due above), so its generation, repository and state still hold.
  const timed = () => prisma.$queryRaw<DueIssue[]>`
    SELECT "issueId" AS "id", "generation", "repositoryId", "state" FROM "IssueImpact" WHERE "dueAt" <= ${now} ORDER BY "dueAt" LIMIT ${batch}`;
  const counted = new Set<number>();
  for (const due of [marked, timed]) {
    while (counted.size < limit) {
      const issues = (await due())
        .map((row) => ({
          id: Number(row.id),
          generation: Number(row.generation),
          repositoryId: BigInt(row.repositoryId),
          state: row.state,
        }))
        .filter((issue) => !counted.has(issue.id));
      if (issues.length === 0) break;
      await countIssues(prisma, issues, now);
      for (const issue of issues) counted.add(issue.id);
      if (issues.length < batch) break;
    }
  }
  return counted.size;
}

interface DueIssue {
  id: number;
  generation: number;
  repositoryId: bigint;
  state: string;
}

async function countIssues(prisma: Prisma, issues: readonly DueIssue[], now: Date): Promise<void> {
  const ids = issues.map((issue) => issue.id);
  const links = await readLiveLinks(prisma, ids);
  const rows = issues.map(({ id, generation, repositoryId, state }) => {
    const issueLinks = links.get(id) ?? [];
    const summary = summariseImpact(issueLinks, now, IMPACT_WINDOWS);
    const [r7, r14, r30, r90] = summary.windows;
    return {
      issueId: id,
      generation,
      repositoryId,
      state,
      reports7: r7!.reports,
      reports14: r14!.reports,
      reports30: r30!.reports,
      reports90: r90!.reports,
      customers7: r7!.customers,
      customers14: r14!.customers,
      customers30: r30!.customers,
      customers90: r90!.customers,
      lastReportAt: summary.lastReportAt,
      helpdesks:
        issueLinks.length === 0 ? "" : `,${[...new Set(issueLinks.map((link) => link.provider))].sort().join(",")},`,
      dueAt: summary.dueAt,
    };
  });
  const list = Sql.join(ids.map((id) => Sql.sql`${id}`));
  await prisma.$transaction([
    prisma.issueImpact.deleteMany({ where: { issueId: { in: ids } } }),
    prisma.issueImpact.createMany({ data: rows }),
    // A mark committed since the generations were read: that count is stale, and the issue stays due.
    prisma.$executeRaw`DELETE FROM "IssueImpact" WHERE "issueId" IN (${list})
      AND "generation" <> (SELECT i."impactGeneration" FROM "Issue" i WHERE i."id" = "IssueImpact"."issueId")`,
    prisma.$executeRaw`UPDATE "Issue" SET "impactDueAt" = NULL WHERE "id" IN (${list})
      AND EXISTS (SELECT 1 FROM "IssueImpact" m WHERE m."issueId" = "Issue"."id" AND m."generation" = "Issue"."impactGeneration")`,
  ]);
}

interface LiveLink extends Report {
  provider: ProviderId;
}

async function readLiveLinks(prisma: Prisma, issueIds: readonly number[]): Promise<Map<number, LiveLink[]>> {
  const byIssue = new Map<number, LiveLink[]>();
  if (issueIds.length === 0) return byIssue;
  const rows = await prisma.$queryRaw<
    { issueId: number; provider: ProviderId; linkedAt: Date | string; customerHash: string | null }[]
  >`
    SELECT l."issueId", l."provider", l."linkedAt", l."customerHash" FROM "Link" l
    WHERE l."issueId" IN (${Sql.join(issueIds.map((id) => Sql.sql`${id}`))}) AND ${live("l")}`;
  for (const row of rows) {
    const id = Number(row.issueId);
    let list = byIssue.get(id);
    if (!list) byIssue.set(id, (list = []));
    list.push({ provider: row.provider, at: new Date(row.linkedAt), customer: row.customerHash });
  }
  return byIssue;
}

/**
 * The customers of an issue still waiting for an agent's answer since a close of it reopened their conversation
 * (docs/answers.md): its closes by their index on the issue, then their watches by theirs.
 */
const waitingOf = (issue: string) =>
  `(SELECT COUNT(*) FROM "IssueClose" c CROSS JOIN "AnswerWatch" w WHERE c."issueId" = ${issue} AND w."closeId" = c."id" AND w."outcome" IS NULL)`;

const ORDER: Record<ImpactQuery["sort"], (days: ImpactWindow) => string> = {
  reports: (days) => `m."reports${days}" DESC, m."lastReportAt" DESC`,
  customers: (days) => `m."customers${days}" DESC, m."reports${days}" DESC, m."lastReportAt" DESC`,
  last: (days) => `m."lastReportAt" DESC, m."reports${days}" DESC`,
  age: (days) => `i."openedAt" IS NULL, i."openedAt" ASC, m."reports${days}" DESC`,
  // Counted per issue matching the filters (no kept count to read in order): a full sort, asked for by this sort only.
  waiting: (days) => `${waitingOf(`m."issueId"`)} DESC, m."reports${days}" DESC, m."lastReportAt" DESC`,
};

/**
 * The page of issues with reports in the window, ranked, and how many match in all, from the kept counts (its caller
 * counts the due ones first): two statements on either engine, the page's a bounded sort.
 */
export async function readImpactRanking(
  prisma: Prisma,
  query: ImpactQuery,
  scope: RepositoryScope,
): Promise<{ ranked: RankedIssue[]; total: number }> {
  const reports = Sql.raw(`m."reports${query.days}"`);
  const filters = [Sql.sql`${reports} > 0`];
  if (query.state !== "all") filters.push(Sql.sql`m."state" = ${query.state}`);
  if ("repositoryIds" in scope) filters.push(Sql.sql`m."repositoryId" IN (${idTable(prisma, scope.repositoryIds)})`);
  if (query.repository !== null)
    filters.push(
      Sql.sql`m."repositoryId" IN (SELECT p."id" FROM "Repository" p WHERE p."fullName" = ${query.repository.toLowerCase()})`,
    );
  if (query.helpdesk !== null) filters.push(Sql.sql`m."helpdesks" LIKE ${`%,${query.helpdesk},%`}`);
  // A label filter is asked two ways with one meaning: the page, read in rank order, checks each issue's label (and
  // stops after its rows); the total reads the label's issues by key (one index range instead of a probe per issue).
  const labels: [string, Sql.Sql][] = [];
  if (query.team !== null) labels.push([labelKey(query.team), Sql.sql`x."kind" = 'team'`]);
  if (query.label !== null) labels.push([labelKey(query.label), Sql.sql`x."kind" IS NOT NULL`]);
  const labelled = (key: string, kind: Sql.Sql) => Sql.sql`x."key" = ${key} AND x."present" AND ${kind}`;
  const where = Sql.join(
    [
      ...filters,
      ...labels.map(
        ([key, kind]) =>
          Sql.sql`EXISTS (SELECT 1 FROM "IssueLabel" x WHERE x."issueId" = m."issueId" AND ${labelled(key, kind)})`,
      ),
    ],
    " AND ",
  );
  const counted = Sql.join(
    [
      ...filters,
      ...labels.map(
        ([key, kind]) => Sql.sql`m."issueId" IN (SELECT x."issueId" FROM "IssueLabel" x WHERE ${labelled(key, kind)})`,
      ),
    ],
    " AND ",
  );
  // CROSS JOIN keeps SQLite's join order (PostgreSQL plans it freely): the counts first, read in the order of an
  // index on them, so a page stops after its rows instead of sorting every issue.
  const rows = await prisma.$queryRaw<RankingRow[]>`
    SELECT i."id" AS "issueId", p."owner", p."name", i."number", i."title", i."state", i."openedAt", ${reports} AS "reports",
      ${Sql.raw(`m."customers${query.days}"`)} AS "customers"
    FROM "IssueImpact" m CROSS JOIN "Issue" i CROSS JOIN "Repository" p
    WHERE i."id" = m."issueId" AND p."id" = m."repositoryId" AND ${where}
    ORDER BY ${Sql.raw(ORDER[query.sort](query.days))}, m."repositoryId", i."number"
    LIMIT ${query.perPage} OFFSET ${(query.page - 1) * query.perPage}`;
  const [{ total }] = (await prisma.$queryRaw<
    { total: number | bigint }[]
  >`SELECT COUNT(*) AS "total" FROM "IssueImpact" m WHERE ${counted}`) as [{ total: number | bigint }];
  const ranked = rows.map((row) => ({
    issueId: Number(row.issueId),
    repository: `${row.owner}/${row.name}`,
    number: Number(row.number),
    title: row.title,
    state: row.state,
    openedAt: row.openedAt === null ? null : new Date(row.openedAt),
    reports: Number(row.reports),
    customers: Number(row.customers),
  }));
  return { ranked, total: Number(total) };
}

export interface ImpactDetail {
  /** the live links posted in the window */
  reports: Report[];
  /** the helpdesks of all its live links */
  helpdesks: ProviderId[];
  /** its present labels that closeloop manages */
  labels: { name: string; kind: string }[];
  /** customers still waiting for an agent's answer since a close reopened their conversation */
  waiting: number;
}

/** The chart, helpdesks, labels and waiting customers of the ranked issues: three statements for the whole page. */
export async function readImpactDetails(
  prisma: Prisma,
  issueIds: readonly number[],
  days: number,
  now: Date,
): Promise<Map<number, ImpactDetail>> {
  const details = new Map<number, ImpactDetail>(
    issueIds.map((id) => [id, { reports: [], helpdesks: [], labels: [], waiting: 0 }]),
  );
  if (issueIds.length === 0) return details;
  const ids = Sql.join(issueIds.map((id) => Sql.sql`${id}`));
  const since = now.getTime() - days * DAY_MS;
  const links = await prisma.$queryRaw<
    { issueId: number; provider: ProviderId; linkedAt: Date | string; customerHash: string | null }[]
  >`
    SELECT l."issueId", l."provider", l."linkedAt", l."customerHash" FROM "Link" l WHERE l."issueId" IN (${ids}) AND ${live("l")}`;
  for (const link of links) {
    const detail = details.get(Number(link.issueId))!;
    if (!detail.helpdesks.includes(link.provider)) detail.helpdesks.push(link.provider);
    const at = new Date(link.linkedAt);
    if (at.getTime() >= since) detail.reports.push({ at, customer: link.customerHash });
  }
  const labels = await prisma.$queryRaw<{ issueId: number; name: string; kind: string }[]>`
    SELECT x."issueId", x."name", x."kind" FROM "IssueLabel" x WHERE x."issueId" IN (${ids}) AND x."present" AND x."kind" IS NOT NULL`;
  for (const label of labels) details.get(Number(label.issueId))!.labels.push({ name: label.name, kind: label.kind });
  const waiting = await prisma.$queryRaw<{ issueId: number; waiting: number | bigint }[]>`
    SELECT c."issueId", COUNT(*) AS "waiting" FROM "IssueClose" c CROSS JOIN "AnswerWatch" w
    WHERE c."issueId" IN (${ids}) AND w."closeId" = c."id" AND w."outcome" IS NULL GROUP BY c."issueId"`;
  for (const row of waiting) details.get(Number(row.issueId))!.waiting = Number(row.waiting);
  return details;
}
