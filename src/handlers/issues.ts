import type { Context } from "probot";
import { renderNote } from "../config/repo-config.js";
import { hasLiveLinks, recordIssueState, type ReopenRequest } from "../store/issues.js";
import { purgeIssue, transferIssue, type IssueRef } from "../store/links.js";
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

/**
 * `issues.closed` / `issues.reopened`: records the state (links of a closed issue are kept as history when their
 * source goes) and, for a close with a reason in `reopen.on`, enqueues a reopen job per live link in the same
 * transaction (docs/reopen.md).
 */
export async function onIssueState(deps: HandlerDeps, context: Context<"issues.closed" | "issues.reopened">): Promise<void> {
  const { issue } = context.payload;
  const ref = refs(context);
  if (context.payload.action === "reopened") {
    const outcome = await recordIssueState(deps.prisma, ref, { state: "open", stateReason: null, closedAt: null, at: new Date(issue.updated_at) });
    if (outcome.kind === "stale") context.log.info(`${describeIssue(ref)}: reopened before its latest close; ignored`);
    return;
  }
  // GitHub Enterprise versions without state_reason send null; GitHub's default close reason is "completed".
  const reason = issue.state_reason ?? "completed";
  const state = { state: "closed" as const, stateReason: issue.state_reason ?? null, closedAt: new Date(issue.closed_at ?? issue.updated_at) };
  const reopen = (await hasLiveLinks(deps.prisma, ref)) ? await planReopen(deps, context, ref, reason) : undefined;
  const outcome = await recordIssueState(deps.prisma, ref, state, reopen);
  if (outcome.kind === "enqueued") {
    context.log.info({ close: outcome.closeId, jobs: outcome.jobs }, `${describeIssue(ref)} closed as ${reason}: ${outcome.jobs} linked conversation(s) to reopen`);
    deps.reopenQueued?.();
  } else if (outcome.kind === "duplicate") {
    context.log.info({ close: outcome.closeId }, `${describeIssue(ref)}: this close was recorded before (a redelivery); nothing new to reopen`);
  }
}

/** The note and summary settings of a close that reopens conversations, or undefined when its reason does not. */
async function planReopen(deps: HandlerDeps, context: Context<"issues.closed">, ref: IssueRef, reason: string): Promise<ReopenRequest | undefined> {
  const config = await deps.configs.get(ref.repository, (file) => context.config(file));
  if (!(config.reopen.on as string[]).includes(reason)) {
    context.log.info(`${describeIssue(ref)} closed as ${reason}, which is not in reopen.on (${config.reopen.on.join(", ") || "empty"}); linked conversations are not reopened`);
    return undefined;
  }
  const { issue, repository } = context.payload;
  const note = renderNote(config.reopen.note, {
    url: issue.html_url,
    reason: reason.replace(/_/g, " "),
    repository: repository.full_name,
    number: String(issue.number),
    title: issue.title,
  });
  return { note, summary: config.comment.summary };
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
