import type { Transaction } from "./database.js";

export interface RepositoryRef {
  id: bigint;
  installationId: bigint;
  owner: string;
  name: string;
}

/** Creates or refreshes a repository row (renames and installation changes arrive with any event). */
export async function ensureRepository(tx: Pick<Transaction, "repository">, ref: RepositoryRef): Promise<void> {
  const fields = { installationId: ref.installationId, owner: ref.owner, name: ref.name, fullName: `${ref.owner}/${ref.name}`.toLowerCase() };
  await tx.repository.upsert({ where: { id: ref.id }, create: { id: ref.id, ...fields }, update: fields });
}
