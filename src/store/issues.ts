import type { Prisma } from "./database.js";
import type { IssueRef } from "./links.js";
import { ensureRepository } from "./repositories.js";
import { inTransaction } from "./transactions.js";

/** `issues.closed` / `issues.reopened`: the state decides whether a removed source takes its links with it. */
export async function recordIssueState(prisma: Prisma, issue: IssueRef, state: { state: "open" | "closed"; stateReason: string | null; closedAt: Date | null }): Promise<void> {
  await inTransaction(prisma, async (tx) => {
    await ensureRepository(prisma, tx, issue.repository);
    await tx.issue.upsert({
      where: { repositoryId_number: { repositoryId: issue.repository.id, number: issue.number } },
      create: { repositoryId: issue.repository.id, number: issue.number, githubId: issue.githubId, ...state },
      update: state,
    });
  });
}
