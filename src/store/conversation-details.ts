import type { ConversationRef } from "../providers/provider.js";
import type { ProviderId } from "../domain/link.js";
import type { Prisma } from "./database.js";
import type { IssueRef } from "./links.js";

/** A conversation's team and tags as a helpdesk event told them; a field left out was not in the event. */
export interface ConversationDetailsUpdate {
  team?: string | null;
  tags?: readonly string[];
}

/**
 * Writes a conversation's team and tags on every link to it (one conversation can be linked to several issues) and
 * returns the issues whose links changed, whose team labels may have to follow. Unchanged links are not written.
 * `Link.tags` is a JSON array of strings (read by src/store/labels.ts).
 */
export async function recordConversationDetails(prisma: Prisma, provider: ProviderId, conversation: ConversationRef, details: ConversationDetailsUpdate): Promise<IssueRef[]> {
  if (details.team === undefined && details.tags === undefined) return [];
  const links = await prisma.link.findMany({
    where: { provider, account: conversation.account, conversationId: conversation.conversationId },
    select: {
      id: true,
      team: true,
      tags: true,
      issue: { select: { number: true, githubId: true, state: true, repository: { select: { id: true, installationId: true, owner: true, name: true } } } },
    },
  });
  const tags = details.tags === undefined ? undefined : JSON.stringify(details.tags);
  const changed: IssueRef[] = [];
  for (const link of links) {
    const team = details.team === undefined ? link.team : details.team;
    const nextTags = tags ?? link.tags;
    if (team === link.team && nextTags === link.tags) continue;
    await prisma.link.update({ where: { id: link.id }, data: { team, tags: nextTags } });
    const { issue } = link;
    changed.push({ repository: issue.repository, number: issue.number, githubId: issue.githubId ?? 0n, state: issue.state === "closed" ? "closed" : "open" });
  }
  return changed;
}
