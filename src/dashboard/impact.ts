import { PROVIDERS, type ProviderId } from "../domain/link.js";
import { trimTrailingSlashes } from "../domain/trailing-slashes.js";
import { reportsPerDay } from "../domain/impact.js";
import type { ImpactQuery, RepositoryScope } from "../domain/impact-query.js";
import type { Prisma } from "../store/database.js";
import { impactUncounted, readImpactDetails, readImpactRanking, refreshImpact } from "../store/impact.js";

/**
 * The dashboard's impact ranking (issue #13, README Dashboard): issues ranked by their distinct reports in a window,
 * as the page, its CSV, `/closeloop/api/issues` and `closeloop top` show it. A report is what the labels count
 * (src/domain/frequency.ts): a live linked conversation dated by when its URL was first posted, one per customer.
 */

export interface ImpactRow {
  /** "owner/name" as GitHub last showed it */
  repository: string;
  number: number;
  /** null until a payload showed it */
  title: string | null;
  state: "open" | "closed";
  url: string;
  /** distinct reports in the window (one per customer, as the frequency label counts them) */
  reports: number;
  /** distinct known customers among them */
  customers: number;
  /** the frequency label closeloop keeps on the issue, if it is there */
  frequency: string | null;
  /** the team labels closeloop keeps on the issue, by name */
  teams: string[];
  /** the helpdesks of the issue's live links */
  helpdesks: ProviderId[];
  /** customers still waiting for an agent's answer since a close of the issue reopened their conversation */
  waiting: number;
  /** the oldest and newest report in the window */
  firstReportAt: Date | null;
  lastReportAt: Date | null;
  /** GitHub's created_at of the issue; null until a payload showed it */
  openedAt: Date | null;
  /** distinct reports per day of the window, oldest day first (`days` entries; the last ends at `now`) */
  perDay: number[];
}

export interface ImpactPage {
  rows: ImpactRow[];
  /** whether a page follows this one */
  nextPage: boolean;
  /** issues matching the query over all pages, counted up to a cap (10,000): past it, the cap */
  total: number;
  /** whether more issues match than `total` says (README, Dashboard: "10,000+ issues") */
  totalCapped: boolean;
  /**
   * false while some issues are not counted yet (the first count after an upgrade or a new install, which the server
   * does in the background): the ranking leaves them out, and every view says so rather than show it as whole
   */
  complete: boolean;
}

/** The due issues a page counts itself before ranking (one statement): past that, it ranks what is counted and says so. */
const PAGE_COUNT_LIMIT = 2_000;

/**
 * The matching issues a page counts at most: an exact total of a broad view at a million issues reads every match
 * (half a second on PostgreSQL), and past ten thousand the number tells a person nothing a "10,000+" does not.
 */
const TOTAL_CAP = 10_000;

export interface RankLimits {
  /** due issues counted before ranking */
  countLimit: number;
  /** matching issues counted for the total */
  totalCap: number;
}

/**
 * One page of the ranking at `now`: issues with at least one report in the window that match the filters and lie in
 * `scope`, in the query's order (ties: more reports, then latest report, then repository id and number). The counts
 * kept per issue (IssueImpact) are brought up to `now` first, up to `countLimit` due issues (two indexed reads, and a
 * write when some are due; more than that, during a first count, and the page is not `complete`), then five
 * statements whatever the page size: the page, the total (up to `totalCap`), and the page's live links, labels and
 * waiting customers; a scope of a few repositories, a helpdesk filter and the label filters are sized first, one more
 * for them all, and by waiting the issues with someone waiting are read first, one more.
 */
export async function rankIssues(
  prisma: Prisma,
  query: ImpactQuery,
  scope: RepositoryScope,
  now: Date = new Date(),
  githubUrl = "https://github.com",
  { countLimit = PAGE_COUNT_LIMIT, totalCap = TOTAL_CAP }: Partial<RankLimits> = {},
): Promise<ImpactPage> {
  if ("repositoryIds" in scope && scope.repositoryIds.length === 0)
    return { rows: [], nextPage: false, total: 0, totalCapped: false, complete: true };
  // Fewer counted than the limit: nothing was left due.
  const complete =
    (await refreshImpact(prisma, now, countLimit, countLimit)) < countLimit || !(await impactUncounted(prisma, now));
  const { ranked, nextPage, total, totalCapped } = await readImpactRanking(prisma, query, scope, totalCap);
  const details = await readImpactDetails(
    prisma,
    ranked.map((row) => row.issueId),
    query.days,
    now,
  );
  const base = trimTrailingSlashes(githubUrl);
  const rows = ranked.map((row): ImpactRow => {
    const detail = details.get(row.issueId) ?? { reports: [], helpdesks: [], labels: [], waiting: 0 };
    const dates = detail.reports.map((report) => report.at.getTime());
    return {
      repository: row.repository,
      number: row.number,
      title: row.title,
      state: row.state === "closed" ? "closed" : "open",
      url: `${base}/${row.repository}/issues/${row.number}`,
      reports: row.reports,
      customers: row.customers,
      frequency: detail.labels.find((label) => label.kind === "frequency")?.name ?? null,
      teams: detail.labels
        .filter((label) => label.kind === "team")
        .map((label) => label.name)
        .sort(),
      helpdesks: PROVIDERS.filter((provider) => detail.helpdesks.includes(provider)),
      waiting: detail.waiting,
      firstReportAt: dates.length > 0 ? new Date(Math.min(...dates)) : null,
      lastReportAt: dates.length > 0 ? new Date(Math.max(...dates)) : null,
      openedAt: row.openedAt,
      perDay: reportsPerDay(detail.reports, now, query.days),
    };
  });
  return { rows, nextPage, total, totalCapped, complete };
}

const CSV_COLUMNS = [
  "repository",
  "number",
  "title",
  "state",
  "url",
  "reports",
  "customers",
  "frequency",
  "teams",
  "helpdesks",
  "first_report_at",
  "last_report_at",
  "opened_at",
  "per_day",
  "waiting",
] as const;

/**
 * The rows as CSV (RFC 4180, CRLF line ends), a header first. A cell a spreadsheet would read as a formula (starting
 * with = + - @, a tab or a carriage return) gets a leading apostrophe: titles and label names are written by others.
 */
export function impactCsv(rows: readonly ImpactRow[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) {
    const cells = [
      row.repository,
      String(row.number),
      row.title ?? "",
      row.state,
      row.url,
      String(row.reports),
      String(row.customers),
      row.frequency ?? "",
      row.teams.join("; "),
      row.helpdesks.join("; "),
      row.firstReportAt?.toISOString() ?? "",
      row.lastReportAt?.toISOString() ?? "",
      row.openedAt?.toISOString() ?? "",
      row.perDay.join(" "),
      String(row.waiting),
    ];
    lines.push(cells.map(csvCell).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The JSON of `/closeloop/api/issues` and `closeloop top --json` (README, Dashboard): dates as ISO 8601 strings. */
export function impactJson(page: ImpactPage): unknown {
  return {
    total: page.total,
    totalCapped: page.totalCapped,
    complete: page.complete,
    issues: page.rows.map((row) => ({
      repository: row.repository,
      number: row.number,
      title: row.title,
      state: row.state,
      url: row.url,
      reports: row.reports,
      customers: row.customers,
      frequency: row.frequency,
      teams: row.teams,
      helpdesks: row.helpdesks,
      waiting: row.waiting,
      firstReportAt: row.firstReportAt?.toISOString() ?? null,
      lastReportAt: row.lastReportAt?.toISOString() ?? null,
      openedAt: row.openedAt?.toISOString() ?? null,
      perDay: row.perDay,
    })),
  };
}
