import type { DatabaseHandle, Prisma } from "./database.js";
import type { RepositoryRef } from "../domain/refs.js";

export interface ConfigErrorRecord {
  path: string;
  message: string;
  commitSha: string | null;
  seenAt: Date;
}

/**
 * Keeps the last config error of a repository for `closeloop status`. The same error seen again without a commit
 * (a later read of the cached file) keeps the commit the push check found it in.
 */
export async function recordConfigError(
  database: DatabaseHandle,
  repository: RepositoryRef,
  error: ConfigErrorRecord,
): Promise<void> {
  await database.repositoryRows.ensure(repository);
  await database.prisma.$transaction(async (tx) => {
    const stored = await tx.configError.findUnique({
      where: { repositoryId: repository.id },
      select: { message: true, commitSha: true },
    });
    const record = {
      ...error,
      commitSha: error.commitSha ?? (stored?.message === error.message ? stored.commitSha : null),
    };
    await tx.configError.upsert({
      where: { repositoryId: repository.id },
      create: { repositoryId: repository.id, ...record },
      update: record,
    });
  });
}

export async function clearConfigError(prisma: Prisma, repositoryId: bigint): Promise<void> {
  await prisma.configError.deleteMany({ where: { repositoryId } });
}

export interface RepositoryConfigError extends ConfigErrorRecord {
  repository: string;
}

export async function listConfigErrors(prisma: Prisma): Promise<RepositoryConfigError[]> {
  const rows = await prisma.configError.findMany({
    include: { repository: { select: { owner: true, name: true } } },
    orderBy: { seenAt: "desc" },
  });
  return rows.map(({ repository, path, message, commitSha, seenAt }) => ({
    repository: `${repository.owner}/${repository.name}`,
    path,
    message,
    commitSha,
    seenAt,
  }));
}
