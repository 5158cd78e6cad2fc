import type { Report } from "../domain/frequency.js";
import type { ProjectWritten } from "../domain/project-field.js";
import type { Prisma } from "./database.js";
import { markLabelsWanted } from "./issue-markings.js";

/** A repository whose project field cannot be kept: the project it was for, why, and since when. */
export interface ProjectErrorRecord {
  url: string;
  message: string;
  seenAt: Date;
}

export interface ProjectInputs {
  issueId: number;
  /** the issue's GraphQL node id, when a payload showed it: then entering the project needs no lookup of it */
  nodeId: string | null;
  written: ProjectWritten;
  dueAt: Date | null;
  /** one per live link (a link still carried by a source) */
  reports: Report[];
  error: ProjectErrorRecord | null;
}

/** What the project field of `repository#number` is computed from; null when closeloop has no row for the issue. */
export async function readProjectInputs(
  prisma: Prisma,
  repositoryId: bigint,
  number: number,
): Promise<ProjectInputs | null> {
  const issue = await prisma.issue.findUnique({
    where: { repositoryId_number: { repositoryId, number } },
    select: {
      id: true,
      nodeId: true,
      projectKey: true,
      projectItemId: true,
      projectValue: true,
      projectDueAt: true,
      repository: { select: { projectError: { select: { url: true, message: true, seenAt: true } } } },
      links: { where: { live: true }, select: { linkedAt: true, customerHash: true } },
    },
  });
  if (!issue) return null;
  return {
    issueId: issue.id,
    nodeId: issue.nodeId,
    written: { key: issue.projectKey, itemId: issue.projectItemId, value: issue.projectValue },
    dueAt: issue.projectDueAt,
    reports: issue.links.map((link) => ({ at: link.linkedAt, customer: link.customerHash })),
    error: issue.repository.projectError,
  };
}

/**
 * Records what was written (when anything was) and when the value is next due to change with time alone; with
 * `nodeId`, the issue's node id a lookup found.
 */
export async function recordProjectField(
  prisma: Prisma,
  issueId: number,
  dueAt: Date | null,
  written?: ProjectWritten,
  nodeId?: string,
): Promise<void> {
  await prisma.issue.update({
    where: { id: issueId },
    data: {
      projectDueAt: dueAt,
      ...(written && { projectKey: written.key, projectItemId: written.itemId, projectValue: written.value }),
      ...(nodeId !== undefined && { nodeId }),
    },
  });
}

/** Records why the repository's project field cannot be kept; returns false when the same problem was already recorded. */
export async function recordProjectError(
  prisma: Prisma,
  repositoryId: bigint,
  error: ProjectErrorRecord,
): Promise<boolean> {
  const stored = await prisma.projectError.findUnique({
    where: { repositoryId },
    select: { url: true, message: true },
  });
  await prisma.projectError.upsert({ where: { repositoryId }, create: { repositoryId, ...error }, update: error });
  return stored === null || stored.url !== error.url || stored.message !== error.message;
}

export async function clearProjectError(prisma: Prisma, repositoryId: bigint): Promise<void> {
  await prisma.projectError.deleteMany({ where: { repositoryId } });
}

export interface RepositoryProjectError extends ProjectErrorRecord {
  repository: string;
}

export async function listProjectErrors(prisma: Prisma): Promise<RepositoryProjectError[]> {
  const rows = await prisma.projectError.findMany({
    include: { repository: { select: { owner: true, name: true } } },
    orderBy: { seenAt: "desc" },
  });
  return rows.map(({ repository, url, message, seenAt }) => ({
    repository: `${repository.owner}/${repository.name}`,
    url,
    message,
    seenAt,
  }));
}

/** The recorded project problem of one repository, for the `closeloop config` check run. */
export async function readProjectError(prisma: Prisma, repositoryId: bigint): Promise<ProjectErrorRecord | null> {
  return prisma.projectError.findUnique({
    where: { repositoryId },
    select: { url: true, message: true, seenAt: true },
  });
}

/**
 * The decay sweep's share (docs/projects.md): issues whose project value can have changed with time alone
 * (`projectDueAt <= now`) get a markings job, which writes the value (or finds it unchanged and makes no call) and stores
 * the next due time. Their due time is cleared in the same transaction, so the next sweep does not mark them again
 * while the job waits. `markedAt` is the wall clock the markings job's coalescing window compares with. Returns how many
 * were marked.
 */
export async function markProjectsDue(
  prisma: Prisma,
  now: Date,
  markedAt = new Date(),
  limit = 5_000,
): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const due = await tx.issue.findMany({
      where: { projectDueAt: { lte: now } },
      select: { id: true },
      orderBy: { id: "asc" },
      take: limit,
    });
    const ids = due.map((row) => row.id);
    if (ids.length === 0) return 0;
    await markLabelsWanted(tx, ids, markedAt);
    await tx.issue.updateMany({ where: { id: { in: ids } }, data: { projectDueAt: null } });
    return ids.length;
  });
}
