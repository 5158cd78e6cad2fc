import type { Prisma } from "./database.js";
import { queuesByProvider, type ProviderQueue } from "./helpdesk-jobs.js";

/** Links and issues stored, in all. */
export async function countLinksAndIssues(prisma: Prisma): Promise<{ links: number; issues: number }> {
  const [links, issues] = await Promise.all([prisma.link.count(), prisma.issue.count()]);
  return { links, issues };
}

/** Links stored, per helpdesk that has any. */
export async function countLinksByProvider(prisma: Prisma): Promise<{ provider: string; links: number }[]> {
  const rows = await prisma.link.groupBy({ by: ["provider"], _count: { _all: true } });
  return rows.map((row) => ({ provider: row.provider, links: row._count._all }));
}

/** The webhook inbox: deliveries waiting (stored, not yet processed, held ones included) and dead. */
export async function countInbox(prisma: Prisma): Promise<{ waiting: number; dead: number }> {
  const [waiting, dead] = await Promise.all([
    prisma.delivery.count({ where: { deadAt: null } }),
    prisma.delivery.count({ where: { deadAt: { not: null } } }),
  ]);
  return { waiting, dead };
}

/** Reopen jobs per helpdesk and state. */
export async function countReopenJobsByProvider(prisma: Prisma): Promise<ProviderQueue[]> {
  const groups = await prisma.reopenJob.groupBy({ by: ["provider", "state"], _count: { _all: true } });
  return queuesByProvider(groups);
}
