import type { RecognisedLink } from "./link.js";

/**
 * Order-tolerant links (docs/ordering.md; R3, README Development). Every version of a source's text that a webhook shows is kept, whatever
 * order the deliveries are processed in; from them follow the intervals in which the source mentioned each
 * conversation, and from those and the issue's closes follow the links and the reopen jobs. The result is a function
 * of the set of events seen, not of their order: a close processed before the comments that predate it still
 * reopens their conversations. docs/ordering.md has the reasoning.
 *
 * Times are GitHub's, at one-second resolution. At a tie the conservative answer wins: a mention that starts or ends
 * in the same second as a close counts as covering it (a conversation reopened once too often is better than a
 * customer never told).
 */

export function linkKey(link: { provider: string; account: string; conversationId: string }): string {
  return `${link.provider}:${link.account}:${link.conversationId}`;
}

export type VersionAction = "created" | "edited" | "deleted";

/** One version of a body, comment or helpdesk note as a webhook showed it. */
export interface SourceVersion {
  /** the version's own time: created_at, updated_at, or for a delete the latest time the payload shows */
  at: Date;
  action: VersionAction;
  /** the links the text carries (none for a delete) */
  links: readonly RecognisedLink[];
  /** an edit's previous text's links (GitHub's `changes.body.from`), when the event carries it */
  previous?: readonly RecognisedLink[] | null;
}

/** The version with each link of its text, and of its previous text, passed through `convert`. */
export function mapVersionLinks(
  version: SourceVersion,
  convert: (link: RecognisedLink) => RecognisedLink,
): SourceVersion {
  return { ...version, links: version.links.map(convert), previous: version.previous?.map(convert) ?? null };
}

/** One source mentioning one conversation from `start` until `end` (null: its current text still does). */
export interface Mention {
  link: RecognisedLink;
  start: Date;
  end: Date | null;
}

const RANK: Record<VersionAction, number> = { created: 0, edited: 1, deleted: 2 };

/**
 * The intervals in which a source mentioned each conversation. A version's text holds from its time until the next
 * version's. An edit's previous text held just before it: from the version before it that we know of (or the
 * source's creation) until the edit, so an edit seen before the versions it follows still dates what it replaced.
 * Once every version has been seen, that adds nothing the versions do not already say.
 */
export function sourceMentions(versions: readonly SourceVersion[], createdAt: Date): Mention[] {
  // Nothing follows a delete: one timed before a version it must have followed (a clock, a missing time) ends the
  // source at that version instead.
  const lastVersion = Math.max(
    ...versions.filter((version) => version.action !== "deleted").map((version) => version.at.getTime()),
  );
  const timed = versions.map((version) =>
    version.action === "deleted" && version.at.getTime() < lastVersion
      ? { ...version, at: new Date(lastVersion) }
      : version,
  );
  const sorted = [...timed].sort((a, b) => a.at.getTime() - b.at.getTime() || RANK[a.action] - RANK[b.action]);
  // Versions in the same second: an edit holds over its creation. A delete in the same second still lets the text
  // count for that second.
  const timeline: SourceVersion[] = [];
  for (const version of sorted) {
    const last = timeline.at(-1);
    if (last && last.at.getTime() === version.at.getTime() && version.action !== "deleted") {
      timeline[timeline.length - 1] = { ...version, previous: version.previous ?? last.previous };
    } else {
      timeline.push(version);
    }
  }
  const spans: Mention[] = [];
  timeline.forEach((version, index) => {
    const next = timeline[index + 1];
    if (version.previous && version.previous.length > 0) {
      const before = timeline[index - 1];
      const start = before ? before.at : createdAt.getTime() <= version.at.getTime() ? createdAt : version.at;
      for (const link of version.previous) spans.push({ link, start, end: version.at });
    }
    if (version.action !== "deleted") {
      for (const link of version.links) spans.push({ link, start: version.at, end: next ? next.at : null });
    }
  });
  return mergeSpans(spans);
}

/** Joins the overlapping or touching intervals of each conversation; conversations by first mention (then text order), then by start. */
function mergeSpans(spans: readonly Mention[]): Mention[] {
  const byKey = new Map<string, Mention[]>();
  for (const span of spans) {
    const key = linkKey(span.link);
    const list = byKey.get(key);
    if (list) list.push(span);
    else byKey.set(key, [span]);
  }
  const merged: Mention[] = [];
  const earliest = (key: string) => Math.min(...byKey.get(key)!.map((span) => span.start.getTime()));
  for (const key of [...byKey.keys()].sort((a, b) => earliest(a) - earliest(b))) {
    const list = byKey.get(key)!.sort((a, b) => a.start.getTime() - b.start.getTime());
    let current: Mention | undefined;
    for (const span of list) {
      if (current && (current.end === null || span.start.getTime() <= current.end.getTime())) {
        if (current.end !== null && (span.end === null || span.end > current.end))
          current = { ...current, end: span.end };
        continue;
      }
      if (current) merged.push(current);
      current = { ...span };
    }
    if (current) merged.push(current);
  }
  return merged;
}

/** A stored mention of one conversation, with the source it belongs to. */
export interface IssueMention {
  sourceId: number;
  /** body | comment | helpdesk */
  kind: string;
  start: Date;
  end: Date | null;
}

export interface IssueCloseTime {
  id: number;
  closedAt: Date;
  /** its reason was in `reopen.on`: it reopens the conversations linked when it happened */
  reopen: boolean;
}

export interface LinkPlan {
  /** whether the Link row should exist: mentioned now, or mentioned when a close happened (kept as its history) */
  exists: boolean;
  /** when the URL was first posted, in the earliest stretch of mentions that still counts */
  linkedAt: Date;
  /** the kind of source that posted it then */
  source: string;
  /** the sources mentioning it now, and since when */
  carriers: { sourceId: number; postedAt: Date }[];
  /** the closes (with `reopen`) that happened while it was mentioned: each needs a reopen job for it */
  reopenedBy: number[];
}

const covers = (mention: { start: Date; end: Date | null }, at: Date) =>
  mention.start.getTime() <= at.getTime() && (mention.end === null || at.getTime() <= mention.end.getTime());

/**
 * What one conversation's mentions in one issue amount to. A stretch of mentions that ended without a close in it
 * is forgotten (the URL was removed while the issue was open), so a later mention starts a new link date; one that a
 * close fell in is kept as that close's history. Null when there are no mentions at all.
 */
export function planLink(mentions: readonly IssueMention[], closes: readonly IssueCloseTime[]): LinkPlan | null {
  if (mentions.length === 0) return null;
  const sorted = [...mentions].sort(
    (a, b) => a.start.getTime() - b.start.getTime() || a.kind.localeCompare(b.kind) || a.sourceId - b.sourceId,
  );
  const stretches: { start: Date; end: Date | null; source: string }[] = [];
  for (const mention of sorted) {
    const last = stretches.at(-1);
    if (last && (last.end === null || mention.start.getTime() <= last.end.getTime())) {
      if (last.end !== null && (mention.end === null || mention.end > last.end)) last.end = mention.end;
      continue;
    }
    stretches.push({ start: mention.start, end: mention.end, source: mention.kind });
  }
  const kept = stretches.filter(
    (stretch) => stretch.end === null || closes.some((close) => covers(stretch, close.closedAt)),
  );
  const first = kept[0] ?? stretches[0]!;
  return {
    exists: kept.length > 0,
    linkedAt: first.start,
    source: first.source,
    carriers: sorted
      .filter((mention) => mention.end === null)
      .map((mention) => ({ sourceId: mention.sourceId, postedAt: mention.start })),
    reopenedBy: closes
      .filter((close) => close.reopen && mentions.some((mention) => covers(mention, close.closedAt)))
      .map((close) => close.id),
  };
}

export interface IssueStateFacts {
  closes: readonly { closedAt: Date; reason: string }[];
  /** the latest `reopened` event's time */
  reopenedAt: Date | null;
}

/**
 * The issue's state from GitHub's times, not from processing order: closed when its latest close is later than its
 * latest reopen (a reopen in the same second as the close follows it). Null when no close or reopen was seen.
 */
export function issueState(
  facts: IssueStateFacts,
): { state: "open" | "closed"; stateReason: string | null; closedAt: Date | null } | null {
  const latest = [...facts.closes].sort((a, b) => b.closedAt.getTime() - a.closedAt.getTime())[0];
  if (latest && (facts.reopenedAt === null || latest.closedAt > facts.reopenedAt)) {
    return { state: "closed", stateReason: latest.reason, closedAt: latest.closedAt };
  }
  if (latest || facts.reopenedAt !== null) return { state: "open", stateReason: null, closedAt: null };
  return null;
}

/** What a webhook says happened to a source. A delete carries the latest GitHub time its payload shows, when known. */
export type SourceEvent =
  | { action: "created"; version: Date }
  | { action: "edited"; version: Date }
  | { action: "deleted"; version?: Date; at?: Date };

/**
 * Whether versions say anything a stored version does not. Most comments carry no conversation link; a version with
 * none whose previous text had none either says nothing (the removal it follows was recorded by the version that
 * made it). Deletes always do: a late "created" must not bring a deleted comment's links back.
 */
export function versionsMatter(versions: readonly SourceVersion[]): boolean {
  return versions.some(
    (version) => version.action === "deleted" || version.links.length > 0 || (version.previous?.length ?? 0) > 0,
  );
}

/**
 * The versions one event shows. A delete's payload still has the last text (dated by the comment's `updated_at`),
 * and is dated by the latest time it shows: the issue's `updated_at` there is at least the time of any close
 * before the delete, so a close the delete followed is never taken for one after it. Without a time, the delete
 * counts as now: later than it really was, which keeps a link for a close rather than lose its reopen.
 */
export function eventVersions(
  event: SourceEvent,
  links: readonly RecognisedLink[],
  previous: readonly RecognisedLink[] | undefined,
  now: Date,
): SourceVersion[] {
  if (event.action !== "deleted")
    return [{ at: event.version, action: event.action, links, previous: previous ?? null }];
  const last: SourceVersion[] =
    event.version && links.length > 0 ? [{ at: event.version, action: "edited", links }] : [];
  // A delete timed before the text it ended is moved to that text by sourceMentions.
  return [...last, { at: event.at ?? now, action: "deleted", links: [] }];
}
