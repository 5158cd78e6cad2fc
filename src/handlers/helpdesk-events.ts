import type { RecognisedLink } from "../domain/link.js";
import { MAX_ISSUES_PER_EVENT, mentionedIssues, type IssueMention } from "../domain/mentioned-issues.js";
import { isOwnNote } from "../domain/own-notes.js";
import { observeAnswers, refusals } from "../metrics.js";
import { recordActivity } from "../store/answers.js";
import { readIssue } from "../github/issues.js";
import { recogniseIssueUrls } from "../domain/recognise-issue-urls.js";
import { linkKey } from "../domain/mentions.js";
import type { HelpdeskEvent } from "../providers/helpdesk-webhook.js";
import { providers } from "../providers/registry.js";
import type { StoredDelivery } from "../store/deliveries.js";
import type { InstallationLabelDeps } from "../labels/installation-labels.js";
import { markIssuesLabelsWanted } from "../store/issue-markings.js";
import { recordConversationDetails } from "../store/conversation-details.js";
import { requestEnrichmentIfLinked } from "../store/enrich-jobs.js";
import { ownNotes } from "../store/issues.js";
import { findIssueTarget } from "../store/issue-targets.js";
import type { RepositoryRows } from "../store/repositories.js";
import { applySourceChange } from "./source-changes.js";
import type { IssueRef } from "../domain/refs.js";

/** What the helpdesk event handler needs; built once by the server (or a test). */
export interface HelpdeskEventDeps extends InstallationLabelDeps {
  /** the database's repository rows known committed (`Database.repositoryRows`) */
  repositoryRows: RepositoryRows;
  /** GHE_HOST, or github.com: only issue URLs on this host are read */
  githubHost: string;
  /** issues' labels were marked wanted: the server wakes its markings worker (tests apply them at once) */
  labelsWanted?: () => void | Promise<void>;
}

/**
 * A stored `helpdesk.<provider>` delivery, run by the DeliveryWorker: each GitHub issue URL in the event's new
 * messages links the conversation to that issue, source `helpdesk` (README, Links made in the helpdesk). The source is the conversation
 * itself, so the same URL pasted again, or a replayed event, changes nothing. The team and tags the event carries are
 * written on every link to the conversation, and the labels of each issue whose links changed are brought up to date.
 */
export async function onHelpdeskDelivery(deps: HelpdeskEventDeps, delivery: StoredDelivery): Promise<void> {
  const event = JSON.parse(delivery.payload) as HelpdeskEvent;
  const where = `${event.provider} ${event.type} (${event.conversationUrl})`;
  // The provider's own URL matcher names the conversation, so the link is the one a pasted URL would make.
  const match = providers.get(event.provider)?.urls.match(new URL(event.conversationUrl));
  if (!match || "reject" in match) {
    deps.log.warn(`${where}: not a conversation URL closeloop recognises${match ? `: ${match.reject}` : ""}; ignored`);
    return;
  }
  const link: RecognisedLink = { provider: event.provider, ...match };
  await recordAnswers(deps, link, event, where);
  // Links come only from what agents write (README, Links made in the helpdesk): a customer who names an issue URL
  // links nothing. The event's team and tags are still read below: they are the helpdesk's, not the customer's.
  const byAgents = event.messages.filter((message) => message.byAgent === true);
  const byCustomers = event.messages.length - byAgents.length;
  if (byCustomers > 0) {
    deps.log.debug(
      `${where}: ${byCustomers} message(s) not written by an agent (a customer's, or unattributed); no link is made from them`,
    );
    const naming = event.messages.filter(
      (message) => message.byAgent !== true && recogniseIssueUrls(message.text, deps.githubHost).length > 0,
    ).length;
    if (naming > 0) refusals.inc({ reason: "customer_message" }, naming);
  }
  const messages = await withoutOwnNotes(deps, byAgents);
  // Only closeloop's own notes (its reopen and link notes, sent back by the helpdesk): nothing a person did.
  if (byAgents.length > 0 && messages.length === 0) {
    deps.log.debug(`${where}: closeloop's own note; ignored`);
    return;
  }
  const { mentions, truncated } = mentionedIssues(messages, deps.githubHost, new Date(event.occurredAt));
  if (truncated > 0)
    deps.log.warn(
      `${where}: names ${mentions.length + truncated} issues; only the first ${mentions.length} are linked`,
    );
  const changed: IssueRef[] = [];
  for (const mention of mentions) {
    const linked = await linkMention(deps, link, mention, where);
    if (linked) changed.push(linked);
  }
  const details = await recordConversationDetails(deps.prisma, event.provider, link, {
    ...(event.team === undefined ? {} : { team: event.team }),
    ...(event.tags === undefined ? {} : { tags: event.tags }),
  });
  if (details.length > 0) deps.log.info(`${where}: team or tags changed on ${details.length} linked issue(s)`);
  // Most events name the team by id only, or not at all: something happened in a linked conversation, so it is read
  // again (its team may have changed), in the enrichment queue.
  if (event.team === undefined && changed.length === 0) await requestEnrichmentIfLinked(deps.prisma, link);
  // Issues whose links changed were marked with them; those whose team or tags changed are marked here. Applied by the
  // markings job, off the delivery path.
  await markIssuesLabelsWanted(deps.prisma, details, new Date());
  if (changed.length + details.length > 0) await deps.labelsWanted?.();
}

/**
 * An agent's public reply or a close, for the conversations closeloop reopened (docs/answers.md): only what the
 * provider's parser read as an agent's reply counts, never a customer's message or a note.
 */
async function recordAnswers(
  deps: HelpdeskEventDeps,
  link: RecognisedLink,
  event: HelpdeskEvent,
  where: string,
): Promise<void> {
  if (event.agentReplies === undefined && event.closedAt === undefined) return;
  const activity = {
    agentReplies: (event.agentReplies ?? []).map((at) => new Date(at)),
    closedAt: event.closedAt === undefined ? null : new Date(event.closedAt),
  };
  const recorded = await recordActivity(deps.prisma, link, activity, "webhook");
  observeAnswers(recorded);
  for (const answer of recorded)
    deps.log.info(
      { provider: link.provider, conversationId: link.conversationId, outcome: answer.outcome },
      `${where}: ${answer.outcome === "answered" ? "an agent answered" : "closed without an answer"} ${Math.round(answer.seconds / 60)} minute(s) after closeloop reopened it`,
    );
}

/** The messages less closeloop's own reopen and link notes: those name the issue's URL, but no person linked anything. */
async function withoutOwnNotes(
  deps: HelpdeskEventDeps,
  messages: HelpdeskEvent["messages"],
): Promise<HelpdeskEvent["messages"]> {
  const named = messages
    .flatMap((message) => recogniseIssueUrls(message.text, deps.githubHost))
    .slice(0, MAX_ISSUES_PER_EVENT);
  if (named.length === 0) return messages;
  const notes = await ownNotes(deps.prisma, named);
  return notes.length === 0 ? messages : messages.filter((message) => !isOwnNote(message.text, notes));
}

/** Links the conversation to the issue; returns the issue when a link was added. */
async function linkMention(
  deps: HelpdeskEventDeps,
  link: RecognisedLink,
  mention: IssueMention,
  where: string,
): Promise<IssueRef | null> {
  const { owner, repo, number } = mention.issue;
  const named = `${owner}/${repo}#${number}`;
  const target = await findIssueTarget(deps.prisma, `${owner}/${repo}`, number);
  if (target === null) {
    deps.log.info(`${where}: ${named} is not in a repository of an installation closeloop knows; ignored`);
    return null;
  }
  const issue: IssueRef | null = target.issue
    ? { repository: target.repository, number, githubId: target.issue.githubId, state: target.issue.state }
    : await lookUpIssue(deps, target.repository, number, `${where}: ${named}`);
  if (issue === null) return null;

  const outcome = await applySourceChange(deps, {
    issue,
    source: { kind: "helpdesk", key: linkKey(link) },
    event: { action: "created", version: mention.at },
    links: [link],
    createdAt: mention.at,
  });
  if (outcome.added > 0) {
    deps.log.info({ provider: link.provider, conversationId: link.conversationId }, `${where}: linked to ${named}`);
    return issue;
  }
  deps.log.debug(`${where}: already linked to ${named}`);
  return null;
}

/**
 * An issue closeloop has not seen: GitHub says whether it exists. Until it answers, the delivery stays in the inbox
 * (the link is pending, and a failed lookup is retried with the delivery); a 404 drops the link with a log line.
 */
async function lookUpIssue(
  deps: HelpdeskEventDeps,
  repository: IssueRef["repository"],
  number: number,
  where: string,
): Promise<IssueRef | null> {
  const read = await readIssue(await deps.github(Number(repository.installationId)), repository, number);
  switch (read.kind) {
    case "issue":
      return read.issue;
    case "missing":
      deps.log.info(`${where}: GitHub has no such issue (${read.status}); the link is dropped`);
      return null;
    case "pull-request":
      deps.log.info(`${where}: is a pull request, not an issue; ignored`);
      return null;
    case "moved":
      // The issues.transferred event moves stored links; a URL to the old place is not followed.
      deps.log.info(`${where}: the issue has moved (now ${read.repositoryUrl}#${read.number}); ignored`);
      return null;
  }
}
