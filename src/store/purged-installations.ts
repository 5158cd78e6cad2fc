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
