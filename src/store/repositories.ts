import type { RepositoryRef } from "../domain/refs.js";
import type { Prisma, Transaction } from "./database.js";

/**
 * Creates or refreshes a repository row (renames, installation and visibility changes arrive with any event). Rows
 * this process wrote are remembered, so the common case (same repository, same name) costs no query. A purge forgets.
 * A ref that does not state the visibility leaves the stored one as it is.
 */
export async function ensureRepository(
  prisma: Prisma,
  tx: Pick<Transaction, "repository">,
  ref: RepositoryRef,
): Promise<void> {
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
  await tx.repository.upsert({ where: { id: ref.id }, create: { id: ref.id, ...fields }, update: fields });
  written.set(ref.id, signature);
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
