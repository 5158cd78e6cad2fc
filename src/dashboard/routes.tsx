import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { reportsPerDay } from "../domain/impact.js";
import { findIssueView, findRepositoryId, listRecentCloses } from "../store/dashboard.js";
import { retryJobs } from "../store/reopen-jobs.js";
import { reviveEveryDead } from "../jobs/job-kinds.js";
import type { StatusJson } from "../operations/status.js";
import { ImpactQueryError, parseImpactQuery, type ImpactQuery } from "../domain/impact-query.js";
import { impactCsv, impactJson, rankIssues, type RankLimits } from "./impact.js";
import { requireViewer, signInRoutes, type DashboardDeps, type DashboardEnv, type Viewer } from "./auth.js";
import { ApiTokenScopes, bearerToken, createApiToken, requireApiToken, revokeApiTokenForm } from "./api-tokens.js";
import { listApiTokens } from "../store/api-tokens.js";
import { ApiTokensSection } from "./views/api-tokens.js";
import { ClosedPage } from "./views/closed.js";
import { ImpactPageView } from "./views/impact.js";
import { IssuePage } from "./views/issue.js";
import { MessagePage, STYLESHEET } from "./views/layout.js";
import { OpsPage, type RetryNotice } from "./views/ops.js";

/** What the pages need beyond sign-in. */
export interface DashboardAppDeps extends DashboardDeps {
  /** GitHub's web address (GHE_HOST aware), for links to issues */
  githubUrl: string;
  /** what `closeloop status` shows, for the operations page */
  readStatus: () => Promise<StatusJson>;
  /** wakes the helpdesk worker after a retry */
  reopenQueued: () => void;
  /** the impact ranking's limits, when not its own (tests make the total's cap small) */
  impactLimits?: Partial<RankLimits>;
}

/** Days the closed page looks back, and the issue page's chart covers. */
export const CLOSED_DAYS = 30;
export const ISSUE_CHART_DAYS = 90;
const FORM_LIMIT_BYTES = 16 * 1024;

/**
 * The dashboard (README, Dashboard) under /closeloop/: Hono routes rendering server-side JSX, no script. Every page but
 * sign-in needs a session; a repository the person cannot read is answered exactly as one that does not exist (404).
 */
export function dashboardApp(deps: DashboardAppDeps): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>({ strict: false }).basePath("/closeloop");
  const now = () => deps.now?.() ?? new Date();

  app.use("*", async (c, next) => {
    await next();
    // Pages show private data: never cached, never framed; styles only from the stylesheet (labels' colours are style attributes).
    c.header("cache-control", "no-store");
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "same-origin");
    c.header(
      "content-security-policy",
      "default-src 'none'; style-src-elem 'self'; style-src-attr 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });
  app.use("*", bodyLimit({ maxSize: FORM_LIMIT_BYTES, onError: (c) => c.text("request body too large", 413) }));

  app.get("/style.css", (c) => c.body(STYLESHEET, 200, { "content-type": "text/css; charset=utf-8" }));
  app.route("/auth", signInRoutes(deps));
  // A request with an API token is the token's (JSON and CSV only); any other needs a session.
  const session = requireViewer(deps);
  const apiToken = requireApiToken(deps);
  const scopes = new ApiTokenScopes(deps);
  app.use("*", (c, next) =>
    bearerToken(c) !== null
      ? apiToken(c, next)
      : session(c, async () => {
          await scopes.refresh(c.get("viewer"));
          await next();
        }),
  );

  const notFound = (c: Context<DashboardEnv>) =>
    c.html(
      <MessagePage title="Not found" viewer={c.get("viewer")}>
        <p>
          There is nothing here, or nothing you can read. <a href="/closeloop/">Back to the impact ranking</a>
        </p>
      </MessagePage>,
      404,
    );
  const badQuery = (c: Context<DashboardEnv>, error: ImpactQueryError, json: boolean) =>
    json
      ? c.json(
          { error: error.message, parameter: error.parameter, ...(error.allowed ? { allowed: error.allowed } : {}) },
          400,
        )
      : c.html(
          <MessagePage title="Bad query" viewer={c.get("viewer")}>
            <p role="alert" class="error">
              {error.message}
            </p>
            <p>
              <a href="/closeloop/">Back to the impact ranking</a>
            </p>
          </MessagePage>,
          400,
        );
  const rank = (viewer: Viewer, query: ImpactQuery) =>
    rankIssues(
      deps.prisma,
      query,
      { repositoryIds: [...viewer.readable.ids] },
      now(),
      deps.githubUrl,
      deps.impactLimits,
    );
  /** A `repository` filter naming one the person cannot read is a 404, as for one that does not exist: never an empty 200. */
  const readableFilter = async (viewer: Viewer, query: ImpactQuery) => {
    if (query.repository === null) return true;
    const id = await findRepositoryId(deps.prisma, query.repository.toLowerCase());
    return id !== null && viewer.readable.ids.has(id);
  };
  const notFoundJson = (c: Context<DashboardEnv>) => c.json({ error: "not found" }, 404);

  app.get("/", async (c) => {
    const url = new URL(c.req.url);
    const format = url.searchParams.get("format");
    const parsed = impactQuery(url.searchParams);
    if (parsed instanceof ImpactQueryError) return badQuery(c, parsed, format !== null);
    if (format !== null && format !== "csv")
      return badQuery(c, new ImpactQueryError("format", "must be csv", ["csv"]), true);
    if (!(await readableFilter(c.get("viewer"), parsed))) return format === null ? notFound(c) : notFoundJson(c);
    const page = await rank(c.get("viewer"), parsed);
    // A CSV has no place to say it is partial: none until every issue is counted.
    if (format === "csv" && !page.complete)
      return c.json({ error: "still counting the issues' reports: try again in a minute" }, 503, {
        "retry-after": "60",
      });
    if (format === "csv")
      return c.body(impactCsv(page.rows), 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": 'attachment; filename="closeloop-impact.csv"',
      });
    return c.html(<ImpactPageView viewer={c.get("viewer")} query={parsed} page={page} error={null} />);
  });

  app.get("/api/issues", async (c) => {
    const parsed = impactQuery(new URL(c.req.url).searchParams);
    if (parsed instanceof ImpactQueryError) return badQuery(c, parsed, true);
    if (!(await readableFilter(c.get("viewer"), parsed))) return notFoundJson(c);
    return c.json(impactJson(await rank(c.get("viewer"), parsed)));
  });

  app.get("/issues/:owner/:repo/:number", async (c) => {
    const { owner, repo, number } = c.req.param();
    if (!/^[1-9]\d{0,9}$/.test(number)) return notFound(c);
    const issue = await findIssueView(deps.prisma, `${owner}/${repo}`.toLowerCase(), Number(number));
    if (issue === null || !c.get("viewer").readable.ids.has(issue.repositoryId)) return notFound(c);
    const githubUrl = `${deps.githubUrl}/${issue.owner}/${issue.name}/issues/${issue.number}`;
    return c.html(
      <IssuePage
        viewer={c.get("viewer")}
        issue={issue}
        githubUrl={githubUrl}
        perDay={reportsPerDay(issue.reports, now(), ISSUE_CHART_DAYS)}
        chartDays={ISSUE_CHART_DAYS}
        now={now()}
      />,
    );
  });

  app.get("/closed", async (c) => {
    const closes = await listRecentCloses(deps.prisma, [...c.get("viewer").readable.ids], {
      now: now(),
      days: CLOSED_DAYS,
      take: 200,
    });
    return c.html(<ClosedPage viewer={c.get("viewer")} closes={closes} days={CLOSED_DAYS} now={now()} />);
  });

  const opsPage = async (c: Context<DashboardEnv>, notice: RetryNotice, status: 200 | 400 | 404 | 409 = 200) =>
    c.html(
      <OpsPage viewer={c.get("viewer")} status={await deps.readStatus()} notice={notice}>
        <ApiTokensSection viewer={c.get("viewer")} tokens={await listApiTokens(deps.prisma)} />
      </OpsPage>,
      status,
    );

  app.get("/ops", async (c) => {
    if (!c.get("viewer").admin) return notFound(c);
    const retried = c.req.query("retried");
    const notice: RetryNotice =
      retried !== undefined && /^\d{1,9}$/.test(retried) ? { retried: Number(retried) } : null;
    return opsPage(c, notice);
  });

  app.post("/ops/tokens", async (c) => {
    if (!c.get("viewer").admin) return notFound(c);
    const created = await createApiToken(c, deps);
    return typeof created === "string" ? opsPage(c, { problem: created }, 400) : created;
  });

  app.post("/ops/tokens/revoke", async (c) => {
    if (!c.get("viewer").admin) return notFound(c);
    const revoked = await revokeApiTokenForm(c, deps);
    return typeof revoked === "string" ? opsPage(c, { problem: revoked }, 404) : revoked;
  });

  app.post("/ops/retry", async (c) => {
    if (!c.get("viewer").admin) return notFound(c);
    const job = (await c.req.parseBody()).job;
    let notice: RetryNotice;
    if (job === "dead") {
      notice = { retried: (await reviveEveryDead(deps.prisma, now())).retried };
    } else if (typeof job === "string" && /^[1-9]\d{0,9}$/.test(job)) {
      notice = await retryJobs(deps.prisma, { id: Number(job) }, now());
    } else {
      return opsPage(c, { problem: 'job must be a job id or "dead"' }, 400);
    }
    if ("problem" in notice) return opsPage(c, notice, 409);
    deps.log.info(
      `dashboard: ${c.get("viewer").login} retried ${job === "dead" ? "every dead job" : `job ${String(job)}`}: ${notice.retried} queued again`,
    );
    deps.reopenQueued();
    return c.redirect(`/closeloop/ops?retried=${notice.retried}`, 303);
  });

  app.notFound((c) => (c.get("viewer") ? notFound(c) : c.text("Not found", 404)));
  return app;
}

/** The ranking's query from the URL: `format` is the page's, and an empty field of the filter form means no filter. */
function impactQuery(search: URLSearchParams): ImpactQuery | ImpactQueryError {
  const params = new URLSearchParams([...search].filter(([key, value]) => key !== "format" && value.trim() !== ""));
  try {
    return parseImpactQuery(params);
  } catch (error) {
    if (error instanceof ImpactQueryError) return error;
    throw error;
  }
}

/**
 * The dashboard as a handler of Probot's server (`options.addHandler`): it takes /closeloop and everything under it
 * except the helpdesk webhooks, and leaves every other path to the next handler.
 */
export function dashboardHandler(app: Hono<DashboardEnv>) {
  const listener = getRequestListener(app.fetch);
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = request.url?.split("?", 1)[0] ?? "";
    if (path === "/closeloop") {
      response.writeHead(308, { location: "/closeloop/" }).end();
      return true;
    }
    if (!path.startsWith("/closeloop/") || path.startsWith("/closeloop/webhooks/")) return false;
    await listener(request, response);
    return true;
  };
}
