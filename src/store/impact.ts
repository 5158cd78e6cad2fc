import { DAY_MS, type Report } from "../domain/frequency.js";
import type { ProviderId } from "../domain/link.js";
import { labelKey } from "../domain/team-labels.js";
import type { ImpactQuery, ImpactWindow, RepositoryScope } from "../dashboard/impact.js";
import { IMPACT_WINDOWS, summariseImpact } from "../domain/impact.js";
import type { Prisma } from "./database.js";
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
  total: number | bigint;
}

// A link is live while a source carries it (src/store/labels.ts reads reports the same way).
const live = (link: string) => Sql.raw(`EXISTS (SELECT 1 FROM "LinkSource" s WHERE s."linkId" = ${link}."id")`);

/** What marks an issue's counts due now, in the statement that marks its labels wanted (label-jobs.ts). */
export function impactDue(at: Date): Sql.Sql {
  return Sql.sql`"impactDueAt" = ${at}, "impactGeneration" = "impactGeneration" + 1`;
}

const REFRESH_BATCH = 500;

/**
 * Counts again the issues whose counts are due at `now` (a report left a window, or their links changed), with the
 * domain's definitions (src/domain/impact.ts), a batch at a time: two reads and one write transaction per batch. A
 * count whose issue was marked meanwhile is not kept; the mark left it due. Returns how many issues were counted.
 */
export async function refreshImpact(prisma: Prisma, now: Date, batch = REFRESH_BATCH): Promise<number> {
  let after = 0;
  let counted = 0;
  for (;;) {
    const due = await prisma.$queryRaw<{ id: number; impactGeneration: number }[]>`
      SELECT "id", "impactGeneration" FROM "Issue" WHERE "impactDueAt" <= ${now} AND "id" > ${after} ORDER BY "id" LIMIT ${batch}`;
    if (due.length === 0) return counted;
    after = Number(due[due.length - 1]!.id);
    const links = await readLiveLinks(prisma, due.map((issue) => Number(issue.id)));
    await prisma.$transaction(
      due.map(({ id, impactGeneration }) => {
        const issueLinks = links.get(Number(id)) ?? [];
        const summary = summariseImpact(issueLinks, now, IMPACT_WINDOWS);
        const data: Record<string, unknown> = {
          lastReportAt: summary.lastReportAt,
          impactDueAt: summary.dueAt,
          impactHelpdesks: issueLinks.length === 0 ? null : `,${[...new Set(issueLinks.map((link) => link.provider))].sort().join(",")},`,
        };
        for (const window of summary.windows) {
          data[`reports${window.days}`] = window.reports;
          data[`customers${window.days}`] = window.customers;
        }
        return prisma.issue.updateMany({ where: { id: Number(id), impactGeneration: Number(impactGeneration) }, data });
      }),
    );
    counted += due.length;
    if (due.length < batch) return counted;
  }
}

interface LiveLink extends Report {
  provider: ProviderId;
}

async function readLiveLinks(prisma: Prisma, issueIds: readonly number[]): Promise<Map<number, LiveLink[]>> {
  const byIssue = new Map<number, LiveLink[]>();
  if (issueIds.length === 0) return byIssue;
  const rows = await prisma.$queryRaw<{ issueId: number; provider: ProviderId; linkedAt: Date | string; customerHash: string | null }[]>`
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

const ORDER: Record<ImpactQuery["sort"], (days: ImpactWindow) => string> = {
  reports: (days) => `i."reports${days}" DESC, i."lastReportAt" DESC`,
  customers: (days) => `i."customers${days}" DESC, i."reports${days}" DESC, i."lastReportAt" DESC`,
  last: (days) => `i."lastReportAt" DESC, i."reports${days}" DESC`,
  age: (days) => `i."openedAt" IS NULL, i."openedAt" ASC, i."reports${days}" DESC`,
};

/**
 * The page of issues with reports in the window, ranked, and how many match in all, from the counts kept on each
 * issue: one statement on either engine (its caller refreshes the due counts first).
 */
export async function readImpactRanking(prisma: Prisma, query: ImpactQuery, scope: RepositoryScope): Promise<{ ranked: RankedIssue[]; total: number }> {
  const reports = Sql.raw(`i."reports${query.days}"`);
  const filters = [Sql.sql`${reports} > 0`];
  if (query.state !== "all") filters.push(Sql.sql`i."state" = ${query.state}`);
  if ("repositoryIds" in scope) filters.push(Sql.sql`i."repositoryId" IN (${Sql.join(scope.repositoryIds.map((id) => Sql.sql`${id}`))})`);
  if (query.repository !== null) filters.push(Sql.sql`p."fullName" = ${query.repository.toLowerCase()}`);
  if (query.team !== null) filters.push(Sql.sql`EXISTS (SELECT 1 FROM "IssueLabel" x WHERE x."issueId" = i."id" AND x."key" = ${labelKey(query.team)} AND x."present" AND x."kind" = 'team')`);
  if (query.label !== null) filters.push(Sql.sql`EXISTS (SELECT 1 FROM "IssueLabel" x WHERE x."issueId" = i."id" AND x."key" = ${labelKey(query.label)} AND x."present" AND x."kind" IS NOT NULL)`);
  if (query.helpdesk !== null) filters.push(Sql.sql`i."impactHelpdesks" LIKE ${`%,${query.helpdesk},%`}`);
  const rows = await prisma.$queryRaw<RankingRow[]>`
    SELECT i."id" AS "issueId", p."owner", p."name", i."number", i."title", i."state", i."openedAt", ${reports} AS "reports",
      ${Sql.raw(`i."customers${query.days}"`)} AS "customers", COUNT(*) OVER () AS "total"
    FROM "Issue" i JOIN "Repository" p ON p."id" = i."repositoryId"
    WHERE ${Sql.join(filters, " AND ")}
    ORDER BY ${Sql.raw(ORDER[query.sort](query.days))}, p."fullName", i."number"
    LIMIT ${query.perPage} OFFSET ${(query.page - 1) * query.perPage}`;
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
  let total = rows.length > 0 ? Number(rows[0]!.total) : 0;
  // A page past the end has no row to carry the total.
  if (rows.length === 0 && query.page > 1) total = (await readImpactRanking(prisma, { ...query, page: 1, perPage: 1 }, scope)).total;
  return { ranked, total };
}

export interface ImpactDetail {
  /** the live links posted in the window */
  reports: Report[];
  /** the helpdesks of all its live links */
  helpdesks: ProviderId[];
  /** its present labels that closeloop manages */
  labels: { name: string; kind: string }[];
}

/** The chart, helpdesks and labels of the ranked issues: two statements for the whole page. */
export async function readImpactDetails(prisma: Prisma, issueIds: readonly number[], days: number, now: Date): Promise<Map<number, ImpactDetail>> {
  const details = new Map<number, ImpactDetail>(issueIds.map((id) => [id, { reports: [], helpdesks: [], labels: [] }]));
  if (issueIds.length === 0) return details;
  const ids = Sql.join(issueIds.map((id) => Sql.sql`${id}`));
  const since = now.getTime() - days * DAY_MS;
  const links = await prisma.$queryRaw<{ issueId: number; provider: ProviderId; linkedAt: Date | string; customerHash: string | null }[]>`
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
  return details;
}
