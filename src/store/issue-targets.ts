import type { Prisma } from "./database.js";
import type { RepositoryRef } from "../domain/refs.js";

export interface IssueTarget {
  repository: RepositoryRef;
  /** the issue as stored, or null when closeloop has not seen it (or not its GitHub id) */
  issue: { githubId: bigint; state: "open" | "closed" } | null;
}

/**
 * The repository and issue an issue URL names, when the repository belongs to an installation closeloop knows (a
 * Repository row exists); null otherwise. `fullName` is lower-cased "owner/name", as stored.
 */
export async function findIssueTarget(prisma: Prisma, fullName: string, number: number): Promise<IssueTarget | null> {
  const repository = await prisma.repository.findFirst({
    where: { fullName },
    select: {
      id: true,
      installationId: true,
      owner: true,
      name: true,
      issues: { where: { number }, select: { githubId: true, state: true } },
    },
  });
  if (!repository) return null;
  const stored = repository.issues[0];
  return {
    repository: {
      id: repository.id,
      installationId: repository.installationId,
      owner: repository.owner,
      name: repository.name,
    },
    issue: stored?.githubId
      ? { githubId: stored.githubId, state: stored.state === "closed" ? "closed" : "open" }
      : null,
  };
}
