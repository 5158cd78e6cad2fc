import type { Context } from "probot";
import { recordIssueState } from "../store/issues.js";
import { purgeIssue, transferIssue } from "../store/links.js";
import { captureText } from "./capture.js";
import type { HandlerDeps } from "./deps.js";
import { describeIssue, issueRef, repositoryRef } from "./payload-refs.js";

type IssueEvent = "issues.opened" | "issues.edited" | "issues.closed" | "issues.reopened" | "issues.transferred" | "issues.deleted";

function refs(context: Context<IssueEvent>) {
  const repository = repositoryRef(context.payload.repository, context.payload.installation?.id);
  return issueRef(repository, context.payload.issue);
}

function writtenByThisApp(deps: HandlerDeps, issue: { performed_via_github_app?: { id: number | null } | null }): boolean {
  return issue.performed_via_github_app?.id === deps.appId;
}

/** `issues.opened` / `issues.edited`: the body is a source of links, dated by the issue's own timestamps. */
export async function onIssueBody(deps: HandlerDeps, context: Context<"issues.opened" | "issues.edited">): Promise<void> {
  const { issue } = context.payload;
  if (writtenByThisApp(deps, issue)) return;
  const edited = context.payload.action === "edited";
  await captureText(deps, context, {
    issue: refs(context),
    source: { kind: "body", key: "" },
    event: { action: edited ? "edited" : "created", version: new Date(edited ? issue.updated_at : issue.created_at) },
    text: issue.body ?? "",
    createdAt: new Date(issue.created_at),
    previousText: context.payload.action === "edited" ? context.payload.changes?.body?.from : undefined,
  });
}

/** `issues.closed` / `issues.reopened`: links of a closed issue are kept as history when their source goes. */
export async function onIssueState(deps: HandlerDeps, context: Context<"issues.closed" | "issues.reopened">): Promise<void> {
  const { issue } = context.payload;
  const closed = context.payload.action === "closed";
  await recordIssueState(deps.prisma, refs(context), {
    state: closed ? "closed" : "open",
    stateReason: closed ? (issue.state_reason ?? null) : null,
    closedAt: closed && issue.closed_at ? new Date(issue.closed_at) : null,
  });
}

/** `issues.transferred`: the links follow the issue. */
export async function onIssueTransferred(deps: HandlerDeps, context: Context<"issues.transferred">): Promise<void> {
  const { new_issue: newIssue, new_repository: newRepository } = context.payload.changes;
  const from = refs(context);
  const to = issueRef(repositoryRef(newRepository, context.payload.installation?.id), newIssue);
  const moved = await transferIssue(deps.prisma, from, to);
  if (moved) context.log.info(`${describeIssue(from)} transferred to ${describeIssue(to)}; its links follow it`);
}

/** `issues.deleted`: its links are purged. */
export async function onIssueDeleted(deps: HandlerDeps, context: Context<"issues.deleted">): Promise<void> {
  const ref = refs(context);
  const purged = await purgeIssue(deps.prisma, ref.repository.id, ref.number);
  if (purged > 0) context.log.info(`${describeIssue(ref)} deleted; its links are purged`);
}
