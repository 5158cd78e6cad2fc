import type { ApplicationFunction, Context } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import type { HandlerDeps } from "./handlers/deps.js";
import { onIssueBody, onIssueDeleted, onIssueState, onIssueTransferred } from "./handlers/issues.js";
import { onIssueComment } from "./handlers/issue-comments.js";
import { onInstallationDeleted, onRepositoriesRemoved, unlessPurged } from "./handlers/installations.js";
import { onInstallationCreated, onRepositoriesAdded } from "./handlers/backfills.js";
import { onPush } from "./handlers/config-pushes.js";
import { onIssueLabel } from "./handlers/labels.js";

/**
 * How a route's deliveries are kept from re-creating what an uninstall purged (docs/links.md, Retention): `ask` reads
 * whether the installation was purged before the handler runs, a statement every delivery; `writes` relies on the
 * handler's own writes, which all hang off its repository's row, which RepositoryRows.ensure does not re-create for a
 * purged installation, and on its config read asking before GitHub is asked (captureText; a title edit's update
 * creates nothing): a round trip less a comment or a body (P8, #25); `none` is the purge's own, which is never
 * dropped (a retry of a purge that failed half-way finishes it).
 */
type PurgeCheck = "ask" | "writes" | "none";

type Route<E extends EmitterWebhookEventName> = [
  events: E[],
  handler: (deps: HandlerDeps, context: Context<E>) => Promise<void>,
  purge?: PurgeCheck,
];
const route = <E extends EmitterWebhookEventName>(...entry: Route<E>) =>
  entry as unknown as Route<EmitterWebhookEventName>;

/** Every event closeloop handles, and by what. The inbox stores exactly these deliveries. */
const ROUTES = [
  route(["issues.opened", "issues.edited"], onIssueBody, "writes"),
  route(["issues.closed", "issues.reopened"], onIssueState),
  route(["issues.transferred"], onIssueTransferred),
  route(["issues.deleted"], onIssueDeleted),
  route(["issues.labeled", "issues.unlabeled"], onIssueLabel),
  route(["issue_comment.created", "issue_comment.edited", "issue_comment.deleted"], onIssueComment, "writes"),
  route(["installation.deleted"], onInstallationDeleted, "none"),
  route(["installation.created"], onInstallationCreated),
  route(["installation_repositories.added"], onRepositoriesAdded),
  route(["installation_repositories.removed"], onRepositoriesRemoved),
  route(["push"], onPush),
];

const HANDLED = new Set<string>(ROUTES.flatMap(([events]) => events));

/** The events (without their actions) the routes handle: app.yml subscribes to them (test/app.test.ts). */
export const HANDLED_EVENTS: readonly string[] = [...new Set([...HANDLED].map((event) => event.split(".")[0]!))];

export function handlesEvent(name: string, action: string | undefined): boolean {
  return HANDLED.has(name) || (action !== undefined && HANDLED.has(`${name}.${action}`));
}

/** The Probot app: registers handlers, nothing else (synchronously: `ApplicationFunction` would allow a promise). */
export function closeloopApp(deps: HandlerDeps): (...args: Parameters<ApplicationFunction>) => void {
  return (app) => {
    for (const [events, handler, purge = "ask"] of ROUTES) {
      app.on(events, (context) =>
        purge === "none"
          ? handler(deps, context)
          : unlessPurged(deps, context, purge === "ask", () => handler(deps, context)),
      );
    }
  };
}
