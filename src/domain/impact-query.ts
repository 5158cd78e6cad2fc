import { IMPACT_WINDOWS } from "./impact.js";
import { PROVIDERS, type ProviderId } from "./link.js";

/**
 * What the impact ranking is asked (README, Dashboard): the window, order, state, filters and page, parsed from and
 * printed to a URL's parameters, as the dashboard, `/closeloop/api/issues` and `closeloop top` take it. The store
 * answers it (src/store/impact.ts) and the dashboard ranks with it (src/dashboard/impact.ts).
 */

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

/** What the signed-in person may read: everything (the CLI), or these repositories (GitHub's ids). */
export type RepositoryScope = { all: true } | { repositoryIds: readonly bigint[] };

/**
 * How many issues match, as the page and `closeloop top` say it: "1,234 open issues", or past the total's cap
 * "10,000+ open issues". `kind` is the state said before "issue", if any.
 */
export function issuesCounted(total: number, totalCapped: boolean, kind = ""): string {
  const prefix = kind === "" ? "" : `${kind} `;
  return `${total.toLocaleString("en")}${totalCapped ? "+" : ""} ${prefix}issue${total === 1 && !totalCapped ? "" : "s"}`;
}

/**
 * Which page this is of how many, as the page and `closeloop top` say it ("3 of 20"). Past the total's cap the pages
 * are not all known: those the cap counts and a "+" while another page follows ("3 of 200+", then "201 of 202+"), and
 * the last page is the one no page follows.
 */
export function pageOfPages(
  page: number,
  perPage: number,
  total: number,
  totalCapped: boolean,
  nextPage: boolean,
): string {
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (!totalCapped) return `${page} of ${pages}`;
  return nextPage ? `${page} of ${Math.max(pages, page + 1)}+` : `${page} of ${Math.max(pages, page)}`;
}
