import type { Prisma } from "./database.js";
import { ensureRepository } from "./repositories.js";
import { inTransaction } from "./transactions.js";
import type { RepositoryRef } from "../domain/refs.js";

/** Closed issues are read back this far (SPEC §8, issue #6): older ones carry no report that still counts. */
export const BACKFILL_CLOSED_DAYS = 90;

export type BackfillPhase = "open" | "closed";

export interface BackfillCursor {
  phase: BackfillPhase;
  page: number;
}

export interface ClaimedBackfill extends BackfillCursor {
  repository: RepositoryRef;
  closedSince: Date;
  counts: BackfillCounts;
  attempts: number;
}

export interface BackfillCounts {
  issues: number;
  comments: number;
  links: number;
}

/**
 * Asks for a backfill of each repository, from the first page: a new installation, repositories added to one, or the
 * CLI. A backfill running right now keeps its lease and goes on from its own page (it read the pages before).
 */
export async function requestBackfills(prisma: Prisma, repositories: readonly RepositoryRef[], now: Date): Promise<void> {
  const closedSince = new Date(now.getTime() - BACKFILL_CLOSED_DAYS * 24 * 60 * 60_000);
  for (const repository of repositories) {
    await inTransaction(prisma, async (tx) => {
      await ensureRepository(prisma, tx, repository);
      const fresh = { state: "pending", phase: "open", page: 1, closedSince, issues: 0, comments: 0, links: 0, attempts: 0, lastError: null, requestedAt: now, finishedAt: null };
      await tx.backfill.upsert({ where: { repositoryId: repository.id }, create: { repositoryId: repository.id, ...fresh }, update: fresh });
    });
  }
}

/**
 * Leases the oldest backfill that is pending, or running under a lease that ran out (its process died), or the
 * given repository's. The lease is taken with a compare-and-set on the row, so two processes never run one backfill.
 */
export async function claimBackfill(prisma: Prisma, leaseMs: number, repositoryId?: bigint, now = new Date()): Promise<ClaimedBackfill | null> {
  for (let tries = 0; tries < 5; tries++) {
    const candidate = await prisma.backfill.findFirst({
      where: {
        ...(repositoryId === undefined ? {} : { repositoryId }),
        state: { in: ["pending", "running"] },
        OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
      },
      orderBy: { requestedAt: "asc" },
      include: { repository: { select: { id: true, installationId: true, owner: true, name: true } } },
    });
    if (!candidate) return null;
    const taken = await prisma.backfill.updateMany({
      where: { repositoryId: candidate.repositoryId, lockedUntil: candidate.lockedUntil, attempts: candidate.attempts },
      data: { state: "running", lockedUntil: new Date(now.getTime() + leaseMs), attempts: { increment: 1 } },
    });
    if (taken.count === 0) continue;
    return {
      repository: candidate.repository,
      phase: candidate.phase === "closed" ? "closed" : "open",
      page: candidate.page,
      closedSince: candidate.closedSince,
      counts: { issues: candidate.issues, comments: candidate.comments, links: candidate.links },
      attempts: candidate.attempts + 1,
    };
  }
  return null;
}

/** A page is stored: the cursor moves to `next` (null: finished), the counts grow, and the lease is extended. */
export async function advanceBackfill(prisma: Prisma, repositoryId: bigint, next: BackfillCursor | null, added: BackfillCounts, leaseMs: number, now = new Date()): Promise<void> {
  const counts = { issues: { increment: added.issues }, comments: { increment: added.comments }, links: { increment: added.links } };
  await prisma.backfill.updateMany({
    where: { repositoryId },
    data:
      next === null
        ? { ...counts, state: "done", lockedUntil: null, lastError: null, finishedAt: now }
        : { ...counts, phase: next.phase, page: next.page, lockedUntil: new Date(now.getTime() + leaseMs) },
  });
}

/** The process stops before the backfill is done: another (or the next start) takes it over at its page at once. */
export async function releaseBackfill(prisma: Prisma, repositoryId: bigint): Promise<void> {
  await prisma.backfill.updateMany({ where: { repositoryId, state: "running" }, data: { lockedUntil: null } });
}

/** A run failed: retried by the next claim after `retryAt` (at the page it was on), or failed for good. */
export async function failBackfill(prisma: Prisma, repositoryId: bigint, error: string, outcome: { retryAt: Date } | { failed: Date }): Promise<void> {
  await prisma.backfill.updateMany({
    where: { repositoryId },
    data: "failed" in outcome ? { state: "failed", lockedUntil: null, lastError: error, finishedAt: outcome.failed } : { lockedUntil: outcome.retryAt, lastError: error },
  });
}

export interface BackfillStatus extends BackfillCounts, BackfillCursor {
  repository: string;
  state: string;
  attempts: number;
  lastError: string | null;
  requestedAt: Date;
  finishedAt: Date | null;
}

export async function readBackfill(prisma: Prisma, repositoryId: bigint): Promise<BackfillStatus | null> {
  const row = await prisma.backfill.findUnique({ where: { repositoryId }, include: { repository: { select: { owner: true, name: true } } } });
  if (!row) return null;
  return {
    repository: `${row.repository.owner}/${row.repository.name}`,
    state: row.state,
    phase: row.phase === "closed" ? "closed" : "open",
    page: row.page,
    issues: row.issues,
    comments: row.comments,
    links: row.links,
    attempts: row.attempts,
    lastError: row.lastError,
    requestedAt: row.requestedAt,
    finishedAt: row.finishedAt,
  };
}

export interface BackfillSummary {
  pending: number;
  running: number;
  done: number;
  failed: number;
  /** repositories whose backfill failed for good, with the reason */
  failures: { repository: string; error: string | null; finishedAt: Date | null }[];
}

/** `closeloop status`: backfills by state, and the ones that failed. */
export async function backfillSummary(prisma: Prisma): Promise<BackfillSummary> {
  const groups = await prisma.backfill.groupBy({ by: ["state"], _count: { _all: true } });
  const count = (state: string) => groups.find((group) => group.state === state)?._count._all ?? 0;
  const failed = await prisma.backfill.findMany({
    where: { state: "failed" },
    orderBy: { finishedAt: "desc" },
    take: 20,
    include: { repository: { select: { owner: true, name: true } } },
  });
  return {
    pending: count("pending"),
    running: count("running"),
    done: count("done"),
    failed: count("failed"),
    failures: failed.map((row) => ({ repository: `${row.repository.owner}/${row.repository.name}`, error: row.lastError, finishedAt: row.finishedAt })),
  };
}
