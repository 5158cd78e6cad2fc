import { HELPDESK_SOURCE_KINDS, type RecognisedLink } from "../domain/link.js";
import { linkKey } from "../domain/mentions.js";
import type { IssueRef } from "../domain/refs.js";
import type { DatabaseHandle } from "../store/database.js";
import { readCarriedLink } from "../store/sidebar-links.js";
import { applySourceChange, type SourceOutcome } from "./source-changes.js";

/*
 * What a rep's link and unlink in a helpdesk sidebar (src/sidebar/service.ts) change: a source of kind `sidebar`,
 * taken through the same path as a body, comment or helpdesk note (src/handlers/source-changes.ts).
 */

/** A sidebar link: a helpdesk link whose source is the sidebar (one per conversation and issue), with no link note. */
export async function linkFromSidebar(
  database: DatabaseHandle,
  issue: IssueRef,
  link: RecognisedLink,
  now: Date,
): Promise<SourceOutcome> {
  return applySourceChange(database, {
    issue,
    source: { kind: "sidebar", key: linkKey(link) },
    event: { action: "created", version: now },
    links: [link],
    createdAt: now,
  });
}

export type UnlinkOutcome =
  | { unlinked: true }
  | { unlinked: false; reason: "not linked" }
  | { unlinked: false; reason: "from GitHub"; sources: string[] };

/**
 * Removes the helpdesk's part of a link: the sidebar's source and the agent notes' source, each ended now. A link a
 * GitHub body or comment also carries is refused and left whole: that text is the source of truth, and removing only
 * the helpdesk's part would tell the rep it is gone when it is not.
 */
export async function unlinkFromHelpdesk(
  database: DatabaseHandle,
  issue: { repositoryId: bigint; number: number },
  link: RecognisedLink,
  now: Date,
): Promise<UnlinkOutcome> {
  const carried = await readCarriedLink(database.prisma, issue, link);
  if (!carried || carried.kinds.length === 0) return { unlinked: false, reason: "not linked" };
  const github = carried.kinds.filter((kind) => !(HELPDESK_SOURCE_KINDS as readonly string[]).includes(kind));
  if (github.length > 0) return { unlinked: false, reason: "from GitHub", sources: github.sort() };
  // An edit to no link, not a delete: nothing follows a delete (docs/ordering.md), so a deleted source could never
  // link this conversation to the issue again, from the sidebar or from a later agent note.
  for (const kind of HELPDESK_SOURCE_KINDS) {
    await applySourceChange(database, {
      issue: carried.issue,
      source: { kind, key: linkKey(link) },
      event: { action: "edited", version: now },
      links: [],
      previous: [link],
      createdAt: now,
      knownOnly: true,
    });
  }
  return { unlinked: true };
}
