import { DAY_MS, type Report } from "../domain/frequency.js";
import type { ProviderId } from "../domain/link.js";
import { labelKey } from "../domain/team-labels.js";
import type { ImpactQuery, RepositoryScope } from "../dashboard/impact.js";
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

const ORDER: Record<ImpactQuery["sort"], string> = {
  reports: `r."reports" DESC, r."lastAt" DESC`,
  customers: `r."customers" DESC, r."reports" DESC, r."lastAt" DESC`,
  last: `r."lastAt" DESC, r."reports" DESC`,
  age: `i."openedAt" IS NULL, i."openedAt" ASC, r."reports" DESC`,
};

/**
 * The page of issues with reports in the window, ranked, and how many match in all: one statement on either engine.
 * Reports are counted as `countInWindow` counts them (src/domain/frequency.ts): distinct known customers plus the
 * reports whose customer is unknown.
 */
export async function readImpactRanking(prisma: Prisma, query: ImpactQuery, scope: RepositoryScope, now: Date): Promise<{ ranked: RankedIssue[]; total: number }> {
  const since = new Date(now.getTime() - query.days * DAY_MS);
  const filters = [Sql.sql`1 = 1`];
  if (query.state !== "all") filters.push(Sql.sql`i."state" = ${query.state}`);
  if ("repositoryIds" in scope) filters.push(Sql.sql`i."repositoryId" IN (${Sql.join(scope.repositoryIds.map((id) => Sql.sql`${id}`))})`);
  if (query.repository !== null) filters.push(Sql.sql`p."fullName" = ${query.repository.toLowerCase()}`);
  if (query.team !== null) filters.push(Sql.sql`EXISTS (SELECT 1 FROM "IssueLabel" x WHERE x."issueId" = i."id" AND x."key" = ${labelKey(query.team)} AND x."present" AND x."kind" = 'team')`);
  if (query.label !== null) filters.push(Sql.sql`EXISTS (SELECT 1 FROM "IssueLabel" x WHERE x."issueId" = i."id" AND x."key" = ${labelKey(query.label)} AND x."present" AND x."kind" IS NOT NULL)`);
  if (query.helpdesk !== null) filters.push(Sql.sql`EXISTS (SELECT 1 FROM "Link" h WHERE h."issueId" = i."id" AND h."provider" = ${query.helpdesk} AND ${live("h")})`);
  const rows = await prisma.$queryRaw<RankingRow[]>`
    WITH r AS (
      SELECT l."issueId" AS "issueId",
        COUNT(DISTINCT l."customerHash") + COUNT(*) - COUNT(l."customerHash") AS "reports",
        COUNT(DISTINCT l."customerHash") AS "customers",
        MAX(l."linkedAt") AS "lastAt"
      FROM "Link" l
      WHERE l."linkedAt" >= ${since} AND ${live("l")}
      GROUP BY l."issueId"
    )
    SELECT i."id" AS "issueId", p."owner", p."name", i."number", i."title", i."state", i."openedAt", r."reports", r."customers", COUNT(*) OVER () AS "total"
    FROM r JOIN "Issue" i ON i."id" = r."issueId" JOIN "Repository" p ON p."id" = i."repositoryId"
    WHERE ${Sql.join(filters, " AND ")}
    ORDER BY ${Sql.raw(ORDER[query.sort])}, p."fullName", i."number"
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
  if (rows.length === 0 && query.page > 1) total = (await readImpactRanking(prisma, { ...query, page: 1, perPage: 1 }, scope, now)).total;
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
