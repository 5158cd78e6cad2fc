import type { ConversationRef } from "../providers/provider.js";
import type { ProviderId } from "../domain/link.js";
import type { Transaction } from "./database.js";
import type { IssueRef } from "../domain/refs.js";
import { ISSUE_REF_SELECT, issueRefOf } from "./issue-ref-rows.js";

/**
 * What closeloop knows of a conversation, for the labels: from a helpdesk event (team and tags, when it carries them)
 * or from reading the conversation (all of it). A field left out is not known by this update and is kept.
 */
export interface ConversationDetailsUpdate {
  team?: string | null;
  tags?: readonly string[];
  /** keyed hash of the helpdesk's customer id (src/domain/customer-hash.ts) */
  customerHash?: string | null;
  conversationCreatedAt?: Date | null;
  enrichedAt?: Date;
}

/**
 * Writes a conversation's details on every link to it (one conversation can be linked to several issues) and returns
 * the issues whose labels may change: those where the team, the tags or the customer changed. Unchanged links are not
 * written, unless the update reads the conversation afresh (`enrichedAt`). `Link.tags` is a JSON array of strings
 * (read by src/store/labels.ts).
 */
export async function recordConversationDetails(
  db: Transaction,
  provider: ProviderId,
  conversation: ConversationRef,
  details: ConversationDetailsUpdate,
): Promise<IssueRef[]> {
  if (Object.values(details).every((value) => value === undefined)) return [];
  const links = await db.link.findMany({
    where: { provider, account: conversation.account, conversationId: conversation.conversationId },
    select: {
      id: true,
      team: true,
      tags: true,
      customerHash: true,
      issue: { select: ISSUE_REF_SELECT },
    },
  });
  const tags = details.tags === undefined ? undefined : JSON.stringify(details.tags);
  const changed: IssueRef[] = [];
  for (const link of links) {
    const next = {
      team: details.team === undefined ? link.team : details.team,
      tags: tags ?? link.tags,
      customerHash: details.customerHash === undefined ? link.customerHash : details.customerHash,
    };
    const labelsChange = next.team !== link.team || next.tags !== link.tags || next.customerHash !== link.customerHash;
    if (!labelsChange && details.enrichedAt === undefined) continue;
    const read =
      details.enrichedAt === undefined
        ? {}
        : { enrichedAt: details.enrichedAt, conversationCreatedAt: details.conversationCreatedAt ?? null };
    await db.link.update({ where: { id: link.id }, data: { ...next, ...read } });
    if (!labelsChange) continue;
    changed.push(issueRefOf(link.issue));
  }
  return changed;
}
