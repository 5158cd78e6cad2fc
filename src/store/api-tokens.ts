import type { Prisma } from "./database.js";

/** A live API token as a request reads it back: who made it and the repositories it reads. */
export interface LiveApiToken {
  id: number;
  name: string;
  createdBy: string;
  createdById: bigint;
  repositoryIds: bigint[];
}

/** An API token as the operations page lists it (never its hash). */
export interface ListedApiToken {
  id: number;
  name: string;
  createdBy: string;
  repositories: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** `lastUsedAt` is written at most once a minute per token, so a script's burst of requests costs one write. */
const LAST_USED_STEP_MS = 60_000;

function writeIds(ids: Iterable<bigint>): string {
  return JSON.stringify([...ids].map(String));
}

function readIds(text: string): bigint[] {
  return (JSON.parse(text) as string[]).map((id) => BigInt(id));
}

export async function recordApiToken(
  prisma: Prisma,
  token: { hash: string; name: string; createdBy: string; createdById: bigint; repositoryIds: Iterable<bigint> },
  now = new Date(),
): Promise<number> {
  const row = await prisma.apiToken.create({
    data: { ...token, repositoryIds: writeIds(token.repositoryIds), createdAt: now },
    select: { id: true },
  });
  return row.id;
}

/** The token whose hash is `hash`, unless it was revoked; null for one never made. */
export async function findLiveApiToken(prisma: Prisma, hash: string): Promise<LiveApiToken | null> {
  const row = await prisma.apiToken.findFirst({
    where: { hash, revokedAt: null },
    select: { id: true, name: true, createdBy: true, createdById: true, repositoryIds: true },
  });
  return row === null ? null : { ...row, repositoryIds: readIds(row.repositoryIds) };
}

export async function markApiTokenUsed(prisma: Prisma, id: number, now = new Date()): Promise<void> {
  await prisma.apiToken.updateMany({
    where: {
      id,
      OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USED_STEP_MS) } }],
    },
    data: { lastUsedAt: now },
  });
}

/** Newest first; revoked ones stay listed with when they were revoked. */
export async function listApiTokens(prisma: Prisma): Promise<ListedApiToken[]> {
  const rows = await prisma.apiToken.findMany({
    orderBy: { id: "desc" },
    select: {
      id: true,
      name: true,
      createdBy: true,
      repositoryIds: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
    },
  });
  return rows.map(({ repositoryIds, ...row }) => ({ ...row, repositories: readIds(repositoryIds).length }));
}

/** Revokes a live token; false when there is no live token with that id. */
export async function revokeApiToken(prisma: Prisma, id: number, now = new Date()): Promise<boolean> {
  const { count } = await prisma.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  return count === 1;
}

/** What a person can read now (GitHub just said so) becomes what each of their live tokens reads. */
export async function refreshApiTokenScope(
  prisma: Prisma,
  createdById: bigint,
  repositoryIds: Iterable<bigint>,
): Promise<void> {
  await prisma.apiToken.updateMany({
    where: { createdById, revokedAt: null },
    data: { repositoryIds: writeIds(repositoryIds) },
  });
}
