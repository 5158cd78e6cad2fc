import type { Prisma } from "./database.js";

/** A signed-in person, as the dashboard reads them back for a request. `token` is still encrypted. */
export interface StoredSession {
  id: string;
  login: string;
  userId: bigint;
  token: string;
  expiresAt: Date;
}

/** Stores a new session, and drops the expired ones. */
export async function recordSession(
  prisma: Prisma,
  session: StoredSession & { createdAt: Date },
  now = new Date(),
): Promise<void> {
  await prisma.dashboardSession.deleteMany({ where: { expiresAt: { lte: now } } });
  await prisma.dashboardSession.create({ data: session });
}

/** The live session whose cookie token hashes to `id`; null when there is none or it expired. */
export async function findSession(prisma: Prisma, id: string, now = new Date()): Promise<StoredSession | null> {
  return prisma.dashboardSession.findFirst({
    where: { id, expiresAt: { gt: now } },
    select: { id: true, login: true, userId: true, token: true, expiresAt: true },
  });
}

/** Signs the session out: its cookie no longer finds it, on any replica. */
export async function deleteSession(prisma: Prisma, id: string): Promise<void> {
  await prisma.dashboardSession.deleteMany({ where: { id } });
}

/** The sealed user tokens of the live sessions: which key sealed them decides whether the old key is still needed. */
export async function liveSessionTokens(prisma: Prisma, now = new Date()): Promise<string[]> {
  const rows = await prisma.dashboardSession.findMany({ where: { expiresAt: { gt: now } }, select: { token: true } });
  return rows.map((row) => row.token);
}

/** Seals a session's user token again, with the current key: the session no longer needs the old one. */
export async function resealSession(prisma: Prisma, id: string, token: string): Promise<void> {
  await prisma.dashboardSession.updateMany({ where: { id }, data: { token } });
}
