import type { ApplicationFunction, Context } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import type { HandlerDeps } from "./handlers/deps.js";
import { onIssueBody, onIssueDeleted, onIssueState, onIssueTransferred } from "./handlers/issues.js";
import { onIssueComment } from "./handlers/issue-comments.js";
import { onInstallationDeleted, onRepositoriesRemoved, unlessPurged } from "./handlers/installations.js";
import { onInstallationCreated, onRepositoriesAdded } from "./handlers/backfills.js";
import { onPush, pushChangesConfig } from "./handlers/config-pushes.js";
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
  /** whether the handler would act on the delivery: the inbox answers the others without storing them */
  wants?: (payload: Context<E>["payload"]) => boolean,
];
const route = <E extends EmitterWebhookEventName>(...entry: Route<E>) =>
  entry as unknown as Route<EmitterWebhookEventName>;

/** Every event closeloop handles, and by what. The inbox stores exactly these deliveries, those a route wants. */
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
  // GitHub sends every push of every branch; the config's on the default branch are the ones onPush reads.
  route(["push"], onPush, "ask", pushChangesConfig),
];

const ROUTE_OF = new Map(ROUTES.flatMap((entry) => entry[0].map((event) => [event as string, entry] as const)));

/** The events (without their actions) the routes handle: app.yml subscribes to them (test/app.test.ts). */
export const HANDLED_EVENTS: readonly string[] = [
  ...new Set([...ROUTE_OF.keys()].map((event) => event.split(".")[0]!)),
];

/** Whether a delivery (its event name and signed JSON payload) is one a route handles and would act on. */
export function handlesEvent(name: string, payload: { action?: unknown }): boolean {
  const action = typeof payload?.action === "string" ? payload.action : undefined;
  const entry = ROUTE_OF.get(name) ?? (action === undefined ? undefined : ROUTE_OF.get(`${name}.${action}`));
  const wants = entry?.[3];
  if (entry === undefined) return false;
  // A payload that is not an object (JSON `null`, signed but not GitHub's shape) gives a filter nothing to read.
  return (
    wants === undefined ||
    (typeof payload === "object" && payload !== null && wants(payload as Parameters<typeof wants>[0]))
  );
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
