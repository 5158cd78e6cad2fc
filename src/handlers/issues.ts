import type { Context } from "probot";
import { isIssueStored, recordIssueClose, recordIssueReopen } from "../store/issues.js";
import { purgeIssue, recordIssueDetails, transferIssue } from "../store/links.js";
import { captureText } from "./capture.js";
import type { HandlerDeps } from "./deps.js";
import { describeIssue, issueRef, repositoryRef } from "./payload-refs.js";
import type { IssueRef } from "../domain/refs.js";
import { refusals } from "../metrics.js";
import { textAuthor } from "../domain/trust.js";
import { senderRefusal } from "./sender-permission.js";
import { payloadLabels } from "./labels.js";
import { carryLinksToCanonical, releaseDuplicateLinks } from "./duplicates.js";
import type { ClosedTickets } from "../domain/follow-up.js";
import type { SummaryDetails } from "../domain/reopen-summary.js";
import { issueNote } from "../domain/issue-note.js";
import { repositoryInstallation } from "../github/installations.js";

type IssueEvent =
  "issues.opened" | "issues.edited" | "issues.closed" | "issues.reopened" | "issues.transferred" | "issues.deleted";

function refs(context: Context<IssueEvent>) {
  const repository = repositoryRef(context.payload.repository, context.payload.installation?.id);
  return issueRef(repository, context.payload.issue);
}

function writtenByThisApp(
  deps: HandlerDeps,
  issue: { performed_via_github_app?: { id: number | null } | null },
): boolean {
  return issue.performed_via_github_app?.id === deps.appId;
}

/** `issues.opened` / `issues.edited`: the body is a source of links, dated by the issue's own timestamps. */
export async function onIssueBody(
  deps: HandlerDeps,
  context: Context<"issues.opened" | "issues.edited">,
): Promise<void> {
  const { issue } = context.payload;
  if (writtenByThisApp(deps, issue)) return;
  const edited = context.payload.action === "edited";
  const ref = refs(context);
  await captureText(deps, context, {
    issue: ref,
    source: { kind: "body", key: "" },
    event: { action: edited ? "edited" : "created", version: new Date(edited ? issue.updated_at : issue.created_at) },
    text: issue.body ?? "",
    createdAt: new Date(issue.created_at),
    previousText: context.payload.action === "edited" ? context.payload.changes?.body?.from : undefined,
    author: textAuthor(issue),
    issueUrl: issue.html_url,
    issueTitle: issue.title,
  });
  // A title edit changes no link; the dashboard shows the title.
  if (edited) await recordIssueDetails(deps.prisma, ref.repository.id, [ref]);
}

/**
 * `issues.closed` / `issues.reopened`: every close is recorded with its reason, closer and note settings, and, for a
 * reason in `reopen.on`, a reopen job per conversation linked when it happened, in the same transaction
 * (docs/reopen.md); comments processed after it add theirs (docs/ordering.md).
 */
export async function onIssueState(
  deps: HandlerDeps,
  context: Context<"issues.closed" | "issues.reopened">,
): Promise<void> {
  const { issue } = context.payload;
  const ref = refs(context);
  if (context.payload.action === "reopened") {
    const outcome = await recordIssueReopen(deps, ref, new Date(issue.updated_at));
    if (outcome.kind === "reopened" && outcome.stale)
      context.log.info(`${describeIssue(ref)}: reopened before its latest close; the issue stays closed`);
    else await releaseDuplicateLinks(deps, context as Context<"issues.reopened">, ref, new Date(issue.updated_at));
    return;
  }
  // GitHub Enterprise versions without state_reason send null; GitHub's default close reason is "completed".
  const reason = issue.state_reason ?? "completed";
  const settings = await closeSettings(deps, context, ref, reason);
  const outcome = await recordIssueClose(deps, ref, {
    closedAt: new Date(issue.closed_at ?? issue.updated_at),
    stateReason: issue.state_reason ?? null,
    closedBy: context.payload.sender?.login ?? null,
    ...settings,
  });
  if (outcome.kind === "closed") {
    if (settings.reopen) {
      context.log.info(
        { close: outcome.closeId, jobs: outcome.jobs },
        `${describeIssue(ref)} closed as ${reason}: ${outcome.jobs} linked conversation(s) to reopen`,
      );
    }
    if (outcome.jobs > 0) deps.reopenQueued?.();
  } else if (outcome.kind === "duplicate") {
    context.log.info(
      { close: outcome.closeId },
      `${describeIssue(ref)}: this close was recorded before (a redelivery); nothing new to reopen`,
    );
  }
  if (reason === "duplicate") await carryLinksToCanonical(deps, context as Context<"issues.closed">, ref);
}

/**
 * The close's note, summary, details and closed-ticket settings, and whether it reopens the linked conversations: its reason is in
 * `reopen.on` and its closer has `reopen.by` on the repository. A failed permission lookup throws, so the delivery is
 * retried instead of the close being taken for one without permission.
 */
async function closeSettings(
  deps: HandlerDeps,
  context: Context<"issues.closed">,
  ref: IssueRef,
  reason: string,
): Promise<{
  reopen: boolean;
  refusal: string | null;
  note: string;
  summary: boolean;
  details: SummaryDetails;
  closedTickets: ClosedTickets;
  remindAfterSeconds: number | null;
  maxLinks: number;
}> {
  const config = await deps.configs.get(ref.repository, (file) => context.config(file));
  const { issue, repository } = context.payload;
  let reopen = (config.reopen.on as string[]).includes(reason);
  let refusal: string | null = null;
  if (!reopen) {
    context.log.info(
      `${describeIssue(ref)} closed as ${reason}, which is not in reopen.on (${config.reopen.on.join(", ") || "empty"}); linked conversations are not reopened`,
    );
  } else {
    refusal = await senderRefusal(deps, context, ref, config.reopen.by);
    if (refusal !== null) {
      refusals.inc({ reason: "closer_lacks_permission" });
      reopen = false;
      context.log.info(`${describeIssue(ref)} closed as ${reason}: ${refusal}; linked conversations are not reopened`);
    }
  }
  const note = issueNote(config.reopen.note, {
    url: issue.html_url,
    reason: reason.replace(/_/g, " "),
    repository: repository.full_name,
    number: String(issue.number),
    title: issue.title,
  });
  return {
    reopen,
    refusal,
    note,
    summary: config.comment.summary,
    details: config.comment.details,
    closedTickets: config.reopen.closed_tickets,
    remindAfterSeconds: config.reopen.remind_after,
    maxLinks: config.links.max_per_issue,
  };
}

/**
 * `issues.transferred`: the links follow the issue, when its new repository is one the installation includes. When
 * it is not, closeloop cannot see the issue there (no webhook, no label write, no reopen on its close): its rows are
 * dropped, as a deleted issue's, so `closeloop links` and the dashboard do not show it where it is not, and nothing
 * is written to the new repository. Which installation includes it is asked of GitHub only for an issue closeloop
 * stores.
 */
export async function onIssueTransferred(deps: HandlerDeps, context: Context<"issues.transferred">): Promise<void> {
  const { new_issue: newIssue, new_repository: newRepository } = context.payload.changes;
  const from = refs(context);
  const to = issueRef(repositoryRef(newRepository, context.payload.installation?.id), newIssue);
  if (!(await coversDestination(deps, from, to))) {
    const purged = await purgeIssue(deps.prisma, from.repository.id, from.number);
    context.log.info(
      `${describeIssue(from)} transferred to ${describeIssue(to)}, which installation ${to.repository.installationId} does not include; ${purged > 0 ? "its links are dropped" : "nothing stored"}`,
    );
    return;
  }
  const moved = await transferIssue(deps, from, to, payloadLabels({ issue: newIssue }));
  if (!moved) return;
  context.log.info(`${describeIssue(from)} transferred to ${describeIssue(to)}; its links follow it`);
  await deps.labelsWanted?.();
}

/** Whether the transfer's new repository is in the installation; true, without asking GitHub, when nothing is stored. */
async function coversDestination(deps: HandlerDeps, from: IssueRef, to: IssueRef): Promise<boolean> {
  if (!(await isIssueStored(deps.prisma, from.repository.id, from.number))) return true;
  const { owner, name, installationId } = to.repository;
  return BigInt((await repositoryInstallation(deps.githubApp, owner, name)) ?? -1) === installationId;
}

/** `issues.deleted`: its links are purged. */
export async function onIssueDeleted(deps: HandlerDeps, context: Context<"issues.deleted">): Promise<void> {
  const ref = refs(context);
  const purged = await purgeIssue(deps.prisma, ref.repository.id, ref.number);
  if (purged > 0) context.log.info(`${describeIssue(ref)} deleted; its links are purged`);
}
