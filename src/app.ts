import type { ApplicationFunction, Context } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import type { HandlerDeps } from "./handlers/deps.js";
import { onIssueBody, onIssueDeleted, onIssueState, onIssueTransferred } from "./handlers/issues.js";
import { onIssueComment } from "./handlers/issue-comments.js";
import { droppedAsPurged, onInstallationDeleted, onRepositoriesRemoved } from "./handlers/installations.js";
import { onInstallationCreated, onRepositoriesAdded } from "./handlers/backfills.js";
import { onPush } from "./handlers/config-pushes.js";
import { onIssueLabel } from "./handlers/labels.js";

type Route<E extends EmitterWebhookEventName> = [
  events: E[],
  handler: (deps: HandlerDeps, context: Context<E>) => Promise<void>,
];
const route = <E extends EmitterWebhookEventName>(...entry: Route<E>) =>
  entry as unknown as Route<EmitterWebhookEventName>;

/** Every event closeloop handles, and by what. The inbox stores exactly these deliveries. */
const ROUTES = [
  route(["issues.opened", "issues.edited"], onIssueBody),
  route(["issues.closed", "issues.reopened"], onIssueState),
  route(["issues.transferred"], onIssueTransferred),
  route(["issues.deleted"], onIssueDeleted),
  route(["issues.labeled", "issues.unlabeled"], onIssueLabel),
  route(["issue_comment.created", "issue_comment.edited", "issue_comment.deleted"], onIssueComment),
  route(["installation.deleted"], onInstallationDeleted),
  route(["installation.created"], onInstallationCreated),
  route(["installation_repositories.added"], onRepositoriesAdded),
  route(["installation_repositories.removed"], onRepositoriesRemoved),
  route(["push"], onPush),
];

const HANDLED = new Set<string>(ROUTES.flatMap(([events]) => events));

export function handlesEvent(name: string, action: string | undefined): boolean {
  return HANDLED.has(name) || (action !== undefined && HANDLED.has(`${name}.${action}`));
}

/** The Probot app: registers handlers, nothing else (synchronously: `ApplicationFunction` would allow a promise). */
export function closeloopApp(deps: HandlerDeps): (...args: Parameters<ApplicationFunction>) => void {
  return (app) => {
    for (const [events, handler] of ROUTES) {
      // A delivery of an uninstalled installation would re-create what its purge removed (README, Retention).
      const purging = handler === (onInstallationDeleted as unknown);
      app.on(events, async (context) => {
        if (!purging && (await droppedAsPurged(deps, context))) return;
        await handler(deps, context);
      });
    }
  };
}
