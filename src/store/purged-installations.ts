import type { Prisma } from "./client.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

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
 * Repositories removed from an installation (`installation_repositories.removed`, README, Retention): a delivery of one
 * of them from that installation that is processed later is dropped instead of re-creating the rows the purge removed,
 * or planning labels and reopens for a repository the installation no longer covers. Recorded in the transaction
 * that deletes the rows, like an uninstall's; a redelivered removal keeps the first date.
 */
export function purgedRepositoryRecords(prisma: Prisma, installationId: bigint, ids: readonly bigint[], at: Date) {
  const rows = ids.map((id) => Sql.sql`(${installationId}, ${id}, ${at})`);
  return prisma.$executeRaw`INSERT INTO "PurgedRepository" ("installationId", "repositoryId", "purgedAt")
    VALUES ${Sql.join(rows)} ON CONFLICT ("installationId", "repositoryId") DO NOTHING`;
}

/**
 * The repositories added to the installation (again), or shown included again by an event GitHub dated after the
 * removal (`before`): GitHub delivers their events to it, so theirs are taken again. A delivery from before the
 * removal processed after this re-creates rows, as one processed before the removal would have: the repository is
 * covered, and its backfill reads it again anyway.
 */
export async function liftRepositoryPurges(
  prisma: Prisma,
  installationId: bigint,
  ids: readonly bigint[],
  /** only removals recorded before this time (a later removal stands) */
  before?: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  const where = {
    installationId,
    repositoryId: { in: [...ids] },
    ...(before === undefined ? {} : { purgedAt: { lt: before } }),
  };
  return (await prisma.purgedRepository.deleteMany({ where })).count;
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

/** A repository as the purge records name it: its GitHub id, and its name for the log. */
export interface PurgedRepositoryRef {
  id: bigint;
  fullName: string;
}

/**
 * The purge a delivery of `installationId` (and of `repository`, when it names one) falls under, in one statement, or
 * null when none does.
 */
export async function purgeOf(
  prisma: Prisma,
  installationId: bigint,
  repository?: PurgedRepositoryRef,
): Promise<InstallationPurged | null> {
  const [found] = await prisma.$queryRaw<{ installation: unknown; repositoryPurgedAt: Date | string | null }[]>`SELECT
    EXISTS (SELECT 1 FROM "PurgedInstallation" WHERE "id" = ${installationId}) AS "installation",
    (SELECT "purgedAt" FROM "PurgedRepository" WHERE "installationId" = ${installationId}
      AND "repositoryId" = ${repository?.id ?? null}) AS "repositoryPurgedAt"`;
  // SQLite answers 0 or 1, PostgreSQL a boolean.
  if (found !== undefined && Boolean(found.installation)) return new InstallationPurged(installationId);
  // SQLite answers the time as the text the adapter wrote, PostgreSQL a Date (not rawDate: an import cycle).
  const purgedAt = found?.repositoryPurgedAt ?? null;
  if (purgedAt !== null) return new InstallationPurged(installationId, repository, new Date(purgedAt));
  return null;
}

/**
 * A delivery's installation was uninstalled and purged, or (`repository`) its repository removed from the
 * installation and purged: the delivery is dropped, having written nothing. Thrown by a write that found it so
 * (RepositoryRows.ensure) or a read before GitHub is asked (captureText).
 */
export class InstallationPurged extends Error {
  constructor(
    readonly installationId: bigint,
    readonly repository?: PurgedRepositoryRef,
    /** when the repository's removal was recorded, when known */
    readonly purgedAt?: Date,
  ) {
    super(
      repository === undefined
        ? `installation ${installationId} was uninstalled and purged`
        : `repository ${repository.fullName} was removed from installation ${installationId} and purged`,
    );
    this.name = "InstallationPurged";
  }
}
