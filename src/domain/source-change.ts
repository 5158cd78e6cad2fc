import type { RecognisedLink } from "./link.js";

/**
 * How one source (an issue body, a comment, a helpdesk note) changes the links it carries. Pure, so that
 * duplicate and out-of-order deliveries converge (SPEC §5, R3): a source remembers the version (its own
 * `updated_at`) it last applied and a tombstone once deleted.
 */

export type SourceEvent =
  | { action: "created"; version: Date }
  | { action: "edited"; version: Date }
  | { action: "deleted" };

export interface StoredSource {
  version: Date;
  deleted: boolean;
}

export type SourceDecision = "apply" | "stale" | "deleted";

export function decideSourceChange(stored: StoredSource | null, event: SourceEvent): SourceDecision {
  if (stored?.deleted) return "deleted";
  if (event.action === "deleted" || stored === null) return "apply";
  const stored_ = stored.version.getTime();
  const incoming = event.version.getTime();
  if (incoming > stored_) return "apply";
  // GitHub's timestamps have one-second resolution: at a tie an edit wins, a "created" never replaces what is there.
  if (incoming === stored_ && event.action === "edited") return "apply";
  return "stale";
}

export function linkKey(link: { provider: string; account: string; conversationId: string }): string {
  return `${link.provider}:${link.account}:${link.conversationId}`;
}

export interface CarriedLink {
  key: string;
  postedAt: Date;
}

export interface SourceDating {
  /** when the source was created (comment or issue `created_at`) */
  createdAt: Date;
  /** the version being applied (its `updated_at`) */
  version: Date;
  /** keys of the links in the previous version's text, when the event carries it (`changes.body.from`) */
  previous?: ReadonlySet<string>;
  /** the version stored before this one, if any */
  storedVersion?: Date;
}

export interface SourceLinkDiff {
  add: { link: RecognisedLink; postedAt: Date }[];
  remove: string[];
}

/**
 * The links to add to and remove from a source. A link keeps the date it was first posted in this source; a link
 * new to us but present in the previous text was posted no later than the previous version (or the creation),
 * so an `edited` processed before its `created` dates links the same as the two in order.
 */
export function diffSourceLinks(current: readonly CarriedLink[], desired: readonly RecognisedLink[], dating: SourceDating): SourceLinkDiff {
  const carried = new Map(current.map((link) => [link.key, link]));
  const wanted = new Set<string>();
  const add: SourceLinkDiff["add"] = [];
  for (const link of desired) {
    const key = linkKey(link);
    wanted.add(key);
    if (carried.has(key)) continue;
    const postedAt = dating.previous?.has(key) ? (dating.storedVersion ?? dating.createdAt) : dating.version;
    add.push({ link, postedAt });
  }
  const remove = current.filter((link) => !wanted.has(link.key)).map((link) => link.key);
  return { add, remove };
}
