import { impactCsv, impactJson, rankIssues, type RankLimits } from "../dashboard/impact.js";
import {
  DEFAULT_IMPACT_QUERY,
  IMPACT_SORTS,
  IMPACT_STATES,
  ImpactQueryError,
  issuesCounted,
  pageOfPages,
  parseImpactQuery,
  type ImpactQuery,
} from "../domain/impact-query.js";
import type { Database } from "../store/database.js";
import { UsageError } from "./arguments.js";
import type { Output } from "./output.js";

export const TOP_USAGE = `closeloop top [<owner>/<repo>] [--days 7|14|30|90] [--team <team label>] [--state ${IMPACT_STATES.join("|")}] [--sort ${IMPACT_SORTS.join("|")}] [--page N] [--json | --csv]`;

export interface TopOptions {
  days: string | undefined;
  team: string | undefined;
  state: string | undefined;
  sort: string | undefined;
  page: string | undefined;
  json: boolean;
  csv: boolean;
  /** the GitHub web address issues are linked at */
  githubUrl: string;
  /** the ranking's limits, when not the page's (tests make the total's cap small) */
  limits?: Partial<RankLimits>;
}

/** Each flag of `top` that is one of the impact page's query parameters, by the parameter's name. */
const FLAGS = ["days", "team", "state", "sort", "page"] as const satisfies readonly (keyof TopOptions)[];

/**
 * `closeloop top`: the dashboard's impact ranking in the terminal, over every repository (the CLI has the database's
 * access). The flags are the page's query parameters, checked the same way and before the database is opened;
 * `--json` is `/closeloop/api/issues`' document and `--csv` the page's CSV, written by the same functions.
 */
export async function topCommand(
  readyDatabase: () => Promise<Database>,
  args: string[],
  options: TopOptions,
  out: Output,
): Promise<number> {
  if (options.json && options.csv) throw new UsageError("top: --json or --csv, not both", TOP_USAGE);
  const query = readTopQuery(args[0], options);
  const page = await rankIssues(
    (await readyDatabase()).prisma,
    query,
    { all: true },
    new Date(),
    options.githubUrl,
    options.limits,
  );
  if (options.json) {
    out.json(impactJson(page));
    return 0;
  }
  if (options.csv) {
    out.text(impactCsv(page.rows));
    return 0;
  }
  if (!page.complete)
    out.line(
      "still counting: issues linked before this install or upgrade are not all counted yet, and this ranking leaves them out (the server counts them in the background)",
    );
  const scope = [args[0], query.team && `team "${query.team}"`].filter(Boolean).join(", ");
  const pages = Math.max(1, Math.ceil(page.total / query.perPage));
  const sorted = query.sort === DEFAULT_IMPACT_QUERY.sort ? "" : `, sorted by ${query.sort}`;
  const shown =
    pages > 1 || query.page > 1 || page.nextPage
      ? `, page ${pageOfPages(query.page, query.perPage, page.total, page.totalCapped, page.nextPage)}`
      : "";
  out.line(
    `${issuesCounted(page.total, page.totalCapped, query.state === "all" ? "" : query.state)} with reports in the last ${query.days} days${scope ? ` (${scope})` : ""}${sorted}${shown}`,
  );
  if (page.rows.length === 0) return 0;
  const withState = query.state === "all";
  out.table(
    [
      "#",
      "issue",
      ...(withState ? ["state"] : []),
      "reports",
      "customers",
      "frequency",
      "teams",
      "helpdesks",
      "last report",
      "title",
    ],
    page.rows.map((row, index) => [
      String((query.page - 1) * query.perPage + index + 1),
      `${row.repository}#${row.number}`,
      ...(withState ? [row.state] : []),
      String(row.reports),
      String(row.customers),
      row.frequency ?? "",
      row.teams.join(", "),
      row.helpdesks.join(", "),
      row.lastReportAt
        ?.toISOString()
        .replace("T", " ")
        .replace(/:\d\d\.\d+Z$/, "Z") ?? "",
      row.title ?? "",
    ]),
  );
  return 0;
}

/** The flags as the page's query parameters, so a bad value is refused with the page's own reason, naming the flag. */
function readTopQuery(repository: string | undefined, options: TopOptions): ImpactQuery {
  const params = new URLSearchParams();
  if (repository !== undefined) params.set("repository", repository);
  for (const flag of FLAGS) if (options[flag] !== undefined) params.set(flag, options[flag]);
  try {
    return parseImpactQuery(params);
  } catch (error) {
    if (!(error instanceof ImpactQueryError)) throw error;
    throw new UsageError(
      `top: ${error.parameter === "repository" ? "<owner>/<repo>" : `--${error.parameter}`}: ${error.message.slice(error.parameter.length + 2)}`,
    );
  }
}
