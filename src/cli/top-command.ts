import {
  DEFAULT_IMPACT_QUERY,
  ImpactQueryError,
  impactJson,
  parseImpactQuery,
  rankIssues,
} from "../dashboard/impact.js";
import type { Database } from "../store/database.js";
import { UsageError } from "./arguments.js";
import type { Output } from "./output.js";

export const TOP_USAGE = "closeloop top [<owner>/<repo>] [--days 7|14|30|90] [--team <team label>] [--json]";

export interface TopOptions {
  days: string | undefined;
  team: string | undefined;
  json: boolean;
  /** the GitHub web address issues are linked at */
  githubUrl: string;
}

/**
 * `closeloop top`: the dashboard's impact ranking (open issues, by reports) in the terminal, over every repository
 * (the CLI has the database's access). The flags are the page's query parameters, checked the same way.
 */
export async function topCommand(
  database: Database,
  args: string[],
  options: TopOptions,
  out: Output,
): Promise<number> {
  if (args.length > 1) throw new UsageError(`usage: ${TOP_USAGE}`);
  const params = new URLSearchParams();
  if (args[0] !== undefined) params.set("repository", args[0]);
  if (options.days !== undefined) params.set("days", options.days);
  if (options.team !== undefined) params.set("team", options.team);
  let query;
  try {
    query = parseImpactQuery(params);
  } catch (error) {
    if (!(error instanceof ImpactQueryError)) throw error;
    throw new UsageError(
      `top: ${error.parameter === "repository" ? "<owner>/<repo>" : `--${error.parameter}`}: ${error.message.slice(error.parameter.length + 2)}`,
    );
  }
  const page = await rankIssues(database.prisma, query, { all: true }, new Date(), options.githubUrl);
  if (options.json) {
    out.json(impactJson(page));
    return 0;
  }
  const scope = [args[0], query.team && `team "${query.team}"`].filter(Boolean).join(", ");
  const shown = page.rows.length < page.total ? `, the first ${page.rows.length}` : "";
  out.line(
    `${page.total} open issue${page.total === 1 ? "" : "s"} with reports in the last ${query.days} days${scope ? ` (${scope})` : ""}${shown}`,
  );
  if (page.rows.length === 0) return 0;
  out.table(
    ["#", "issue", "reports", "customers", "frequency", "teams", "helpdesks", "last report", "title"],
    page.rows.map((row, index) => [
      String((query.page - 1) * DEFAULT_IMPACT_QUERY.perPage + index + 1),
      `${row.repository}#${row.number}`,
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
