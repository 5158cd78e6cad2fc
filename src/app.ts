import type { ApplicationFunction } from "probot";
import type { HandlerDeps } from "./handlers/deps.js";
import { onIssueBody, onIssueDeleted, onIssueState, onIssueTransferred } from "./handlers/issues.js";
import { onIssueComment } from "./handlers/issue-comments.js";
import { onInstallationDeleted, onRepositoriesRemoved } from "./handlers/installations.js";
import { onPush } from "./handlers/config-pushes.js";

/** The Probot app: registers handlers, nothing else. */
export function closeloopApp(deps: HandlerDeps): ApplicationFunction {
  return (app) => {
    app.on(["issues.opened", "issues.edited"], (context) => onIssueBody(deps, context));
    app.on(["issues.closed", "issues.reopened"], (context) => onIssueState(deps, context));
    app.on("issues.transferred", (context) => onIssueTransferred(deps, context));
    app.on("issues.deleted", (context) => onIssueDeleted(deps, context));
    app.on(["issue_comment.created", "issue_comment.edited", "issue_comment.deleted"], (context) => onIssueComment(deps, context));
    app.on("installation.deleted", (context) => onInstallationDeleted(deps, context));
    app.on("installation_repositories.removed", (context) => onRepositoriesRemoved(deps, context));
    app.on("push", (context) => onPush(deps, context));
  };
}
