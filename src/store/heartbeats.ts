import type { Prisma } from "./database.js";

/** How often a server says it is alive, and how long before `closeloop status` calls it not seen lately. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
export const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** Heartbeats of processes gone this long are deleted, so the table holds the recent processes only. */
const HEARTBEAT_KEPT_MS = 24 * 60 * 60_000;

/** The process `id` is alive at `now`; rows of processes long gone are deleted on the way. */
export async function recordHeartbeat(
  prisma: Prisma,
  process: { id: string; host: string; startedAt: Date },
  now: Date,
): Promise<void> {
  await prisma.serverHeartbeat.upsert({
    where: { id: process.id },
    create: { ...process, seenAt: now },
    update: { seenAt: now },
  });
  await prisma.serverHeartbeat.deleteMany({ where: { seenAt: { lt: new Date(now.getTime() - HEARTBEAT_KEPT_MS) } } });
}

/** The latest heartbeat, and how many processes were seen within `HEARTBEAT_STALE_MS` of `now`. */
export async function readHeartbeats(
  prisma: Prisma,
  now: Date,
): Promise<{ lastSeenAt: Date | null; host: string | null; running: number }> {
  const [latest, running] = await Promise.all([
    prisma.serverHeartbeat.findFirst({ orderBy: { seenAt: "desc" }, select: { seenAt: true, host: true } }),
    prisma.serverHeartbeat.count({ where: { seenAt: { gte: new Date(now.getTime() - HEARTBEAT_STALE_MS) } } }),
  ]);
  return { lastSeenAt: latest?.seenAt ?? null, host: latest?.host ?? null, running };
}
