import type { RepositoryRef } from "../domain/refs.js";
import type { Prisma } from "./database.js";

/**
 * Creates or refreshes a repository row (renames, installation and visibility changes arrive with any event), in a
 * statement of its own, before the transaction that needs the row. Every delivery of a repository names the same
 * row: written inside each delivery's transaction, it would be locked until that transaction commits, and every
 * other delivery of the repository (in this process or another replica) would wait for it. A row that already holds
 * these values is only read, which takes no lock. Rows this process saw committed are remembered, so the common
 * case costs no query; they are remembered only once committed, so a concurrent delivery never inserts an issue
 * against a repository row that is not there yet. A purge forgets.
 */
export async function ensureRepository(prisma: Prisma, ref: RepositoryRef): Promise<void> {
  const fields = {
    installationId: ref.installationId,
    owner: ref.owner,
    name: ref.name,
    fullName: `${ref.owner}/${ref.name}`.toLowerCase(),
    ...(ref.private === undefined ? {} : { private: ref.private }),
  };
  const signature = `${fields.installationId}:${ref.owner}/${ref.name}:${ref.private ?? "?"}`;
  const written = writtenBy(prisma);
  if (written.get(ref.id) === signature) return;
  const stored = await prisma.repository.findUnique({
    where: { id: ref.id },
    select: { installationId: true, owner: true, name: true, fullName: true, private: true },
  });
  const current =
    stored !== null &&
    stored.installationId === fields.installationId &&
    stored.owner === fields.owner &&
    stored.name === fields.name &&
    stored.fullName === fields.fullName &&
    (fields.private === undefined || stored.private === fields.private);
  if (!current)
    await prisma.repository.upsert({ where: { id: ref.id }, create: { id: ref.id, ...fields }, update: fields });
  written.set(ref.id, signature);
}

/** The stored repository with GitHub id `id`, or null. */
export async function readRepository(prisma: Prisma, id: bigint): Promise<RepositoryRef | null> {
  return prisma.repository.findUnique({
    where: { id },
    select: { id: true, installationId: true, owner: true, name: true },
  });
}

/** The stored repository named `owner/name` (any case), or null when closeloop has no row for it. */
export async function findRepository(prisma: Prisma, fullName: string): Promise<RepositoryRef | null> {
  return prisma.repository.findFirst({
    where: { fullName: fullName.toLowerCase() },
    select: { id: true, installationId: true, owner: true, name: true },
  });
}

const writtenByClient = new WeakMap<Prisma, Map<bigint, string>>();

function writtenBy(prisma: Prisma): Map<bigint, string> {
  let written = writtenByClient.get(prisma);
  if (!written) writtenByClient.set(prisma, (written = new Map()));
  return written;
}

/**
 * After a purge here, or a write that found a repository row missing (another replica purged it), the remembered
 * rows are no longer known to exist.
 */
export function forgetRepositories(prisma: Prisma): void {
  writtenBy(prisma).clear();
}
