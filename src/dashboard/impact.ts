import { PROVIDERS, type ProviderId } from "../domain/link.js";
import { trimTrailingSlashes } from "../domain/trailing-slashes.js";
import { IMPACT_WINDOWS, reportsPerDay } from "../domain/impact.js";
import type { Prisma } from "../store/database.js";
import { readImpactDetails, readImpactRanking, refreshImpact } from "../store/impact.js";

/**
 * The dashboard's impact ranking (issue #13, README Dashboard): issues ranked by their distinct reports in a window,
 * as the page, its CSV, `/closeloop/api/issues` and `closeloop top` show it. A report is what the labels count
 * (src/domain/frequency.ts): a live linked conversation dated by when its URL was first posted, one per customer.
 */

export { IMPACT_WINDOWS };
/**
 * reports and customers: most first; last: latest report first; age: oldest issue (GitHub's created_at) first;
 * waiting: most customers still waiting for an agent's answer after a close reopened them first (docs/answers.md)
 */
export const IMPACT_SORTS = ["reports", "customers", "last", "age", "waiting"] as const;
export const IMPACT_STATES = ["open", "closed", "all"] as const;
export const IMPACT_DEFAULT_PER_PAGE = 50;
export const IMPACT_MAX_PER_PAGE = 500;

export type ImpactWindow = (typeof IMPACT_WINDOWS)[number];
export type ImpactSort = (typeof IMPACT_SORTS)[number];
export type ImpactState = (typeof IMPACT_STATES)[number];

export interface ImpactQuery {
  days: ImpactWindow;
  sort: ImpactSort;
  state: ImpactState;
  /** "owner/name", compared ignoring case */
  repository: string | null;
  /** a team label name, compared ignoring case */
  team: string | null;
  helpdesk: ProviderId | null;
  /** any managed label name (frequency or team), compared ignoring case */
  label: string | null;
  /** 1-based */
  page: number;
  perPage: number;
}

export const DEFAULT_IMPACT_QUERY: ImpactQuery = Object.freeze({
  days: 30,
  sort: "reports",
  state: "open",
  repository: null,
  team: null,
  helpdesk: null,
  label: null,
  page: 1,
  perPage: IMPACT_DEFAULT_PER_PAGE,
});

/** A query parameter with a value the ranking does not accept; `allowed` lists the values it does, when they are few. */
export class ImpactQueryError extends Error {
  constructor(
    readonly parameter: string,
    reason: string,
    readonly allowed?: readonly string[],
  ) {
    super(`${parameter}: ${reason}`);
    this.name = "ImpactQueryError";
  }
}

const PARAMETERS = ["days", "sort", "state", "repository", "team", "helpdesk", "label", "page", "per_page"] as const;
const MAX_NAME = 200;

function oneOf<T extends string | number>(parameter: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => String(candidate) === value);
  if (found === undefined) {
    const names = allowed.map(String);
    throw new ImpactQueryError(parameter, `must be one of ${names.join(", ")}`, names);
  }
  return found;
}

function positive(parameter: string, value: string, max: number): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value) || Number(value) > max)
    throw new ImpactQueryError(parameter, `must be a whole number from 1 to ${max}`);
  return Number(value);
}

function name(parameter: string, value: string, pattern?: RegExp, shape?: string): string {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed.length > MAX_NAME)
    throw new ImpactQueryError(parameter, `must be 1 to ${MAX_NAME} characters`);
  if (pattern && !pattern.test(trimmed)) throw new ImpactQueryError(parameter, `must be ${shape}`);
  return trimmed;
}

/**
 * The ranking's query from a URL's parameters (`?days=7&sort=customers&team=team:+billing`). Every parameter is
 * optional; a missing one takes its default. An unknown parameter, a repeated one or a bad value is an
 * ImpactQueryError naming it (the dashboard answers 400 with its message), so a mistyped shared link does not
 * silently show something else.
 */
export function parseImpactQuery(params: URLSearchParams): ImpactQuery {
  const query: ImpactQuery = { ...DEFAULT_IMPACT_QUERY };
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (!(PARAMETERS as readonly string[]).includes(key)) {
      throw new ImpactQueryError(key, `unknown parameter; the parameters are ${PARAMETERS.join(", ")}`, PARAMETERS);
    }
    if (seen.has(key)) throw new ImpactQueryError(key, "given more than once");
    seen.add(key);
    switch (key as (typeof PARAMETERS)[number]) {
      case "days":
        query.days = oneOf(key, value, IMPACT_WINDOWS);
        break;
      case "sort":
        query.sort = oneOf(key, value, IMPACT_SORTS);
        break;
      case "state":
        query.state = oneOf(key, value, IMPACT_STATES);
        break;
      case "helpdesk":
        query.helpdesk = oneOf(key, value, PROVIDERS);
        break;
      case "repository":
        query.repository = name(key, value, /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "owner/name");
        break;
      case "team":
        query.team = name(key, value);
        break;
      case "label":
        query.label = name(key, value);
        break;
      case "page":
        query.page = positive(key, value, 1_000_000);
        break;
      case "per_page":
        query.perPage = positive(key, value, IMPACT_MAX_PER_PAGE);
        break;
    }
  }
  return query;
}

/** The query as URL parameters in a fixed order, defaults left out: the shareable form (`""` for the default view). */
export function impactQueryString(query: ImpactQuery): string {
  const params = new URLSearchParams();
  const values: [string, string | number | null, string | number | null][] = [
    ["days", query.days, DEFAULT_IMPACT_QUERY.days],
    ["sort", query.sort, DEFAULT_IMPACT_QUERY.sort],
    ["state", query.state, DEFAULT_IMPACT_QUERY.state],
    ["repository", query.repository, null],
    ["team", query.team, null],
    ["helpdesk", query.helpdesk, null],
    ["label", query.label, null],
    ["page", query.page, DEFAULT_IMPACT_QUERY.page],
    ["per_page", query.perPage, DEFAULT_IMPACT_QUERY.perPage],
  ];
  for (const [key, value, fallback] of values) if (value !== null && value !== fallback) params.set(key, String(value));
  return params.toString();
}

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
  /** issues matching the query over all pages */
  total: number;
}

/** What the signed-in person may read: everything (the CLI), or these repositories (GitHub's ids). */
export type RepositoryScope = { all: true } | { repositoryIds: readonly bigint[] };

/**
 * One page of the ranking at `now`: issues with at least one report in the window that match the filters and lie in
 * `scope`, in the query's order (ties: more reports, then latest report, then repository id and number). The counts
 * kept per issue (IssueImpact) are brought up to `now` first (two indexed reads, and a write per thousand issues
 * due), then four statements whatever the page size: the page, the total, and the page's live links and labels.
 */
export async function rankIssues(
  prisma: Prisma,
  query: ImpactQuery,
  scope: RepositoryScope,
  now: Date = new Date(),
  githubUrl = "https://github.com",
): Promise<ImpactPage> {
  if ("repositoryIds" in scope && scope.repositoryIds.length === 0) return { rows: [], total: 0 };
  await refreshImpact(prisma, now);
  const { ranked, total } = await readImpactRanking(prisma, query, scope);
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
  return { rows, total };
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
