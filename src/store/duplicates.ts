import type { Prisma } from "./database.js";
import type { IssueRef } from "../domain/refs.js";
import { ISSUE_REF_SELECT, issueRefOf } from "./issue-ref-rows.js";

/**
 * Links an issue closed as a duplicate carries over to the issue it duplicates (README, Engineers): each is carried
 * there by a source of kind `duplicate` keyed by the duplicate issue and the conversation, so several duplicates of
 * one issue each carry their own, and reopening one duplicate ends only its sources.
 */
export function duplicateSourceKey(duplicate: { repositoryId: bigint; number: number }, conversation: string): string {
  return `${duplicate.repositoryId}#${duplicate.number}/${conversation}`;
}

/** The issues carrying links of `duplicate` over, with each source's key there. */
export async function findDuplicateSources(
  prisma: Prisma,
  duplicate: { repositoryId: bigint; number: number },
): Promise<{ issue: IssueRef; key: string }[]> {
  const sources = await prisma.source.findMany({
    where: { kind: "duplicate", key: { startsWith: duplicateSourceKey(duplicate, "") } },
    orderBy: { id: "asc" },
    select: { key: true, issue: { select: ISSUE_REF_SELECT } },
  });
  return sources.map(({ key, issue }) => ({ key, issue: issueRefOf(issue) }));
}
