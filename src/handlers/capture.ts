import type { Context } from "probot";
import { recogniseLinks } from "../domain/recognise-links.js";
import type { SourceEvent } from "../domain/mentions.js";
import type { SourceKind } from "../domain/link.js";
import { applySourceChange } from "./source-changes.js";
import type { HandlerDeps } from "./deps.js";
import { describeIssue } from "./payload-refs.js";
import { payloadLabels } from "./labels.js";
import type { IssueRef } from "../domain/refs.js";
import { refusals } from "../metrics.js";
import { trustAuthor, type TextAuthor } from "../domain/trust.js";
import { issueNote } from "../domain/issue-note.js";
import { purgeOf } from "../store/purged-installations.js";

export interface CapturedText {
  issue: IssueRef;
  source: { kind: SourceKind; key: string };
  event: SourceEvent;
  /** the text now; ignored for a delete */
  text: string;
  createdAt: Date;
  /** `changes.body.from` of an `edited` event */
  previousText?: string;
  /** who wrote it: only trusted authors' texts are read for links (`links.from`, `links.apps`) */
  author: TextAuthor;
  /** the issue's address and title as the payload shows them, for the link note (`notify.note`) */
  issueUrl: string;
  issueTitle: string;
}

/**
 * Reads the conversation links out of one version of a body or comment and stores them. A link that predates a close
 * processed earlier gets its reopen job now; a conversation linked to the issue for the first time gets its link note
 * (`notify.linked`); the worker is woken for either.
 */
export async function captureText(deps: HandlerDeps, context: Context, captured: CapturedText): Promise<void> {
  const where = `${describeIssue(captured.issue)} ${captured.source.kind === "body" ? "body" : `comment ${captured.source.key}`}`;
  const repository = captured.issue.repository;
  const config = await deps.configs.get(repository, async (file) => {
    // GitHub is not asked about an uninstalled installation or a removed repository: the delivery is dropped
    // (src/app.ts, PurgeCheck).
    const purge = await purgeOf(deps.prisma, repository.installationId, {
      id: repository.id,
      fullName: `${repository.owner}/${repository.name}`,
    });
    if (purge !== null) throw purge;
    return context.config(file);
  });
  const trust = trustAuthor(captured.author, config.links);
  // A delete only takes away: one by an author no longer trusted (they left the organisation) still ends the links of
  // a comment stored while they were; of any other it stores nothing.
  const knownOnly = !trust.trusted && captured.event.action === "deleted";
  const found = recogniseLinks(captured.text, deps.matchers, { max: config.links.max_per_source });
  if (!trust.trusted && !knownOnly) {
    context.log.debug(`${where}: not read for links: ${trust.reason}`);
    // Counted when it tried to link something: most such comments carry no conversation URL.
    if (found.links.length > 0) refusals.inc({ reason: "untrusted_author" });
    return;
  }
  if (captured.event.action !== "deleted") {
    for (const rejected of found.rejected)
      context.log.info(
        { url: rejected.url, provider: rejected.provider },
        `${where}: ignored ${rejected.url}: ${rejected.reason}`,
      );
    if (found.truncated > 0) {
      context.log.warn(
        `${where}: carries ${found.links.length + found.truncated} conversation links; only the first ${found.links.length} are kept (links.max_per_source)`,
      );
    }
  }
  const previous =
    captured.previousText === undefined
      ? undefined
      : recogniseLinks(captured.previousText, deps.matchers, { max: config.links.max_per_source }).links;
  const outcome = await applySourceChange(deps, {
    issue: captured.issue,
    source: captured.source,
    event: captured.event,
    links: found.links,
    createdAt: captured.createdAt,
    previous,
    seenLabels: payloadLabels(context.payload),
    maxLinks: config.links.max_per_issue,
    knownOnly,
    linkNote: config.notify.linked ? linkNote(config.notify.note, captured) : undefined,
  });
  if (outcome.capped > 0) {
    context.log.warn(
      { capped: outcome.capped },
      `${where}: ${outcome.capped} conversation link(s) not added: the issue already has ${config.links.max_per_issue} live links (links.max_per_issue)`,
    );
  }
  // One line a delivery: the notes it queued are for links it added (README, Notes on new links).
  if (outcome.added + outcome.removed > 0) {
    context.log.info(
      { added: outcome.added, removed: outcome.removed, notes: outcome.notesAdded },
      `${where}: ${outcome.added} link(s) added, ${outcome.removed} removed` +
        (outcome.notesAdded > 0 ? `; ${outcome.notesAdded} link note(s) queued` : ""),
    );
  }
  if (outcome.jobsAdded + outcome.jobsCancelled > 0) {
    context.log.info(
      { jobsAdded: outcome.jobsAdded, jobsCancelled: outcome.jobsCancelled },
      `${where}: processed after the issue's close; ${outcome.jobsAdded} conversation(s) it linked before the close to reopen, ${outcome.jobsCancelled} reopen(s) withdrawn`,
    );
    if (outcome.jobsAdded > 0) deps.reopenQueued?.();
  }
  if (outcome.notesAdded > 0) deps.linkNotesQueued?.([...new Set(outcome.linked.map((link) => link.provider))]);
  // Applied by the markings job, off the delivery path (docs/labels.md).
  if (outcome.changed) await deps.labelsWanted?.();
}

/** `notify.note` for this issue, as the payload names it now. */
function linkNote(template: string, captured: CapturedText): string {
  const { repository, number } = captured.issue;
  return issueNote(template, {
    url: captured.issueUrl,
    title: captured.issueTitle,
    repository: `${repository.owner}/${repository.name}`,
    number: String(number),
  });
}
