import type { RecognisedLink, SourceKind } from "../domain/link.js";
import { eventVersions, versionsMatter, type SourceEvent, type SourceVersion } from "../domain/mentions.js";
import type { IssueRef } from "../domain/refs.js";
import { engineOf, type DatabaseHandle, type Prisma, type Transaction } from "../store/database.js";
import { labelsWantedUpdate, type SeenLabels } from "../store/issue-markings.js";
import { linkNotesInsert } from "../store/link-notes.js";
import { isSourceKnown, recordIssueSource, recordNewIssueChange } from "../store/links.js";
import {
  blankIssue,
  capNewLinks,
  deriveMentions,
  freshSourceMentions,
  noChange,
  planReconcile,
  reconcileLinks,
  storedVersions,
  storedWithSource,
  type ReconcileOutcome,
} from "../store/mentions.js";
import { executeAlongside, inTransaction } from "../store/transactions.js";

/*
 * A body, comment or helpdesk note changed: what the issue's links, labels, reopen jobs and link notes do about it.
 * The deliveries (src/handlers/capture.ts, helpdesk-events.ts) and the backfill (src/jobs/backfill.ts) all take this
 * path; the store does each step's writes, in the one transaction opened here (or, for an issue new to the store on
 * PostgreSQL, in one statement of their own).
 */

export interface SourceChange {
  issue: IssueRef;
  source: { kind: SourceKind; key: string };
  event: SourceEvent;
  /** the links the text carries (for a delete, its last text's, when the payload has it) */
  links: readonly RecognisedLink[];
  /** an edit's previous text's links (`changes.body.from`), when the event carries it */
  previous?: readonly RecognisedLink[];
  /** when the source was created */
  createdAt: Date;
  /** the issue's labels as the delivery's payload showed them, for the markings job this change may mark */
  seenLabels?: SeenLabels | undefined;
  /** `links.max_per_issue`: a conversation is not linked when the issue already has this many live links */
  maxLinks?: number | undefined;
  /** store the change only when the source is already stored (a delete by an author no longer trusted) */
  knownOnly?: boolean | undefined;
  /**
   * the note (rendered from `notify.note`) for each conversation this change links to the issue for the first time,
   * while the issue is open; absent for changes that must not notify (backfill, links made in the helpdesk,
   * `notify.linked: false`)
   */
  linkNote?: string | undefined;
}

export interface SourceOutcome extends ReconcileOutcome {
  /** link notes queued */
  notesAdded: number;
}

const NOTHING: SourceOutcome = { ...noChange(), notesAdded: 0 };

/**
 * Stores a version of a source's text and brings the issue's links and reopen jobs in line with it, in one
 * transaction, or on PostgreSQL in one statement when the issue is new to the store. Versions arriving in any order,
 * or twice, end in the same state (docs/ordering.md).
 */
export async function applySourceChange(database: DatabaseHandle, change: SourceChange): Promise<SourceOutcome> {
  const versions = eventVersions(change.event, change.links, change.previous, new Date());
  if (!versionsMatter(versions)) return NOTHING;
  const rows = database.repositoryRows;
  // A text that names only known sources writes no repository (it may create nothing at all).
  if (change.knownOnly) return inTransaction(database.prisma, (tx) => applySourceChangeIn(tx, change, versions));
  const outcome = await inTransaction(database.prisma, (tx) => applySourceChangeIn(tx, change, versions), {
    repository: { rows, ref: change.issue.repository },
    alone: rows.hasIssue(change.issue) ? undefined : () => applyToNewIssue(database.prisma, change, versions),
  });
  rows.addIssue(change.issue);
  return outcome;
}

/**
 * The change in one statement without a transaction, when its issue is new to the store (docs/ordering.md, An issue
 * new to the store): such an issue has nothing stored to read, so its links are planned here as the transaction would
 * plan them on a blank issue. Null, nothing written, when the issue's row exists or the change needs reads: SQLite (no
 * round trips to save), a conversation that may have been merged.
 */
async function applyToNewIssue(
  prisma: Prisma,
  change: SourceChange,
  versions: readonly SourceVersion[],
): Promise<SourceOutcome | null> {
  if (engineOf(prisma) !== "postgresql") return null;
  const stored = storedVersions(versions);
  const mentions = freshSourceMentions(stored, change.createdAt);
  if (mentions === null) return null;
  const { touched } = storedWithSource(mentions);
  const { created } = planReconcile(blankIssue({ sourceId: 0, kind: change.source.kind, mentions }, touched), touched);
  const capped = change.maxLinks === undefined ? 0 : capNewLinks(created, change.maxLinks, 0);
  const written = await recordNewIssueChange(prisma, {
    issue: change.issue,
    source: change.source,
    createdAt: change.createdAt,
    versions: stored,
    mentions,
    linked: created,
    mark: created.length > 0 ? { at: new Date(), seen: change.seenLabels } : null,
    // A link made on a closed issue is no news to anyone: no note.
    note: change.linkNote !== undefined && change.issue.state !== "closed" ? change.linkNote : null,
  });
  if (written === null) return null;
  const linked = created.map(({ link }) => link);
  return { ...noChange(), added: linked.length, changed: linked.length > 0, capped, linked, notesAdded: written.notes };
}

/**
 * The change's writes in a transaction the caller opened (and whose repository row it wrote): a backfill page stores
 * the texts its set-based path cannot take this way, in the page's one transaction.
 */
export async function applySourceChangeIn(
  tx: Transaction,
  change: SourceChange,
  versions = eventVersions(change.event, change.links, change.previous, new Date()),
): Promise<SourceOutcome> {
  if (!versionsMatter(versions)) return NOTHING;
  if (change.knownOnly && !(await isSourceKnown(tx, change.issue, change.source))) return NOTHING;
  const stored = storedVersions(versions);
  // Should the source be new to the store, its mentions are these versions' alone: sent with it where the engine allows,
  // and with the issue's row.
  const mentions = freshSourceMentions(stored, change.createdAt);
  const { issue, source } = await recordIssueSource(
    tx,
    change.issue,
    change.source,
    change.createdAt,
    stored,
    mentions,
  );
  // A source with nothing stored before has exactly these versions and no mentions: nothing to read back.
  const derived = source.mentioned
    ? storedWithSource(mentions!)
    : await deriveMentions(tx, issue.id, source, source.fresh ? stored : undefined);
  // The labels follow the links: in this transaction, so a change never lacks its label job.
  const mark = () => labelsWantedUpdate(tx, [issue.id], new Date(), change.seenLabels);
  // A link made on a closed issue (as the store or the payload has it) is no news to anyone: no note.
  const open = issue.state !== "closed" && change.issue.state !== "closed";
  const notes = (linked: readonly RecognisedLink[]) =>
    change.linkNote !== undefined && open ? linkNotesInsert(issue.id, linked, change.linkNote) : null;
  // What recordIssueSource read of the issue under its lock spares the reconciliation its own reads.
  const { alongside, ...outcome } = await reconcileLinks(tx, issue.id, derived.touched, {
    maxLinks: change.maxLinks,
    issue: source.issue,
    blank: source.issue.blank
      ? { sourceId: source.id, kind: change.source.kind, mentions: derived.mentions }
      : undefined,
    // New links change what the labels read: the mark and the notes ride with their insert where the engine allows.
    withNewLinks: (linked) => ({ mark: mark(), notes: notes(linked) }),
  });
  if (alongside !== undefined) return { ...outcome, notesAdded: alongside.notes };
  // The mark and the notes write different tables: one statement where the engine allows.
  const notesAdded = await executeAlongside(tx, notes(outcome.linked), outcome.changed ? mark() : null);
  return { ...outcome, notesAdded };
}
