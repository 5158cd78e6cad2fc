import type { Prisma } from "./client.js";

/**
 * Installations that were uninstalled and purged (README, Retention). A delivery of one that is processed later (a
 * retry, a late redelivery, a replica that was behind) is dropped instead of re-creating the repository and issue
 * rows the purge removed. GitHub gives an app installed again a new installation id, so a row here is never undone.
 */
export function purgedInstallationRecord(prisma: Prisma, installationId: bigint, at: Date) {
  // A redelivered `installation.deleted` finds its row and keeps the first date.
  return prisma.purgedInstallation.upsert({
    where: { id: installationId },
    create: { id: installationId, purgedAt: at },
    update: {},
  });
}

/**
 * PostgreSQL's lock that orders a purge and the repository rows written for its installation, taken first in the
 * transaction of each: the purge's alone (`exclusive`), the writes' together (`shared`). A repository write checks the
 * purge's record in its own statement, but under READ COMMITTED that statement sees only what had committed when it
 * began: without the lock, one that ran while the purge was deleting would not see the record, and its row (a
 * repository new to closeloop, or one re-inserted after the purge's delete) would outlive the purge. With it, a write
 * waits for a purge under way and then sees its record, and a purge waits for the writes under way and then deletes
 * their rows. SQLite needs none: its writers take turns.
 */
export function installationLock(prisma: Prisma, installationId: bigint, mode: "exclusive" | "shared") {
  const key = `closeloop installation ${installationId}`;
  return mode === "exclusive"
    ? prisma.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`
    : prisma.$executeRaw`SELECT pg_advisory_xact_lock_shared(hashtextextended(${key}, 0))`;
}

export async function isPurgedInstallation(prisma: Prisma, installationId: bigint): Promise<boolean> {
  return (await prisma.purgedInstallation.findUnique({ where: { id: installationId }, select: { id: true } })) !== null;
}

/**
 * A delivery's write found its installation purged (RepositoryRows.ensure): the delivery is dropped, having written
 * nothing, as one whose installation was known purged before it started.
 */
export class InstallationPurged extends Error {
  constructor(readonly installationId: bigint) {
    super(`installation ${installationId} was uninstalled and purged`);
    this.name = "InstallationPurged";
  }
}
