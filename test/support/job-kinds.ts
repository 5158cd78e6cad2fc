import type { QueueName } from "../../src/config/queues.js";
import type { Prisma } from "../../src/store/database.js";

/** What `seedEveryKind` stores of each kind: rows waiting, held and dead, by kind. */
export type SeededCounts = Record<QueueName, { pending: number; running: number; dead: number }>;

/**
 * One database with rows of every kind of job in known states, the way the workers leave them: for the surfaces that
 * loop over the job-kind registry (`/metrics`, `closeloop status`, the operations page, `retry --dead`). A kind added
 * to the registry without rows here fails their tests' `SEEDED` lookup, on purpose.
 */
export async function seedEveryKind(prisma: Prisma, now = new Date()): Promise<SeededCounts> {
  const past = new Date(now.getTime() - 60_000);
  const later = new Date(now.getTime() + 60_000);
  await prisma.repository.create({
    data: { id: 1n, installationId: 77n, owner: "octo-org", name: "app", fullName: "octo-org/app" },
  });
  await prisma.repository.create({
    data: { id: 2n, installationId: 77n, owner: "octo-org", name: "web", fullName: "octo-org/web" },
  });
  // Issue 1: labels wanted; issue 2: its labels being applied now; issue 3: closed, its summary given up.
  const wanted = await prisma.issue.create({ data: { repositoryId: 1n, number: 1, labelsWantedAt: past } });
  await prisma.issue.create({
    data: { repositoryId: 1n, number: 2, labelsWantedAt: past, lockedBy: "w", lockedUntil: later },
  });
  const closed = await prisma.issue.create({ data: { repositoryId: 1n, number: 3, state: "closed" } });
  const close = await prisma.issueClose.create({
    data: { issueId: closed.id, closedAt: past, reason: "completed", note: "n", summary: true, summaryError: "500" },
  });
  const conversation = (id: string) => ({
    provider: "zendesk",
    account: "acme",
    conversationId: id,
    url: `https://acme.zendesk.com/agent/tickets/${id}`,
  });
  await prisma.reopenJob.create({ data: { closeId: close.id, linkId: 1, ...conversation("1"), state: "dead" } });
  await prisma.reopenJob.create({ data: { closeId: close.id, linkId: 2, ...conversation("2"), state: "dead" } });
  // Answer watches hang on reopen jobs (done ones, in life): one waiting for its next read, one given up.
  for (const [linkId, state] of [
    [11, "pending"],
    [12, "dead"],
  ] as const) {
    const job = await prisma.reopenJob.create({
      data: { closeId: close.id, linkId, ...conversation(String(linkId)), state: "done" },
    });
    await prisma.answerWatch.create({
      data: { reopenJobId: job.id, closeId: close.id, ...conversation(String(linkId)), reopenedAt: past, state },
    });
  }
  await prisma.linkNote.create({ data: { issueId: wanted.id, ...conversation("3"), note: "n", state: "pending" } });
  await prisma.linkNote.create({ data: { issueId: wanted.id, ...conversation("4"), note: "n", state: "dead" } });
  await prisma.enrichJob.create({
    data: { ...conversation("5"), state: "running", lockedBy: "w", lockedUntil: later },
  });
  await prisma.enrichJob.create({ data: { ...conversation("6"), state: "dead" } });
  await prisma.enrichJob.create({ data: { ...conversation("7"), state: "done" } });
  await prisma.delivery.create({ data: { id: "d1", name: "issues", payload: "{}", receivedAt: past } });
  await prisma.delivery.create({
    data: { id: "d2", name: "issues", payload: "{}", receivedAt: past, attempts: 8, deadAt: past, lastError: "x" },
  });
  await prisma.backfill.create({
    data: { repositoryId: 1n, state: "failed", closedSince: past, requestedAt: past, lastError: "403", page: 3 },
  });
  await prisma.backfill.create({ data: { repositoryId: 2n, state: "pending", closedSince: past, requestedAt: past } });
  await prisma.labelSweep.create({ data: { id: 1, nextRunAt: past, finishedAt: past, issues: 4, changed: 1 } });
  return {
    delivery: { pending: 1, running: 0, dead: 1 },
    reopen: { pending: 0, running: 0, dead: 2 },
    linkNote: { pending: 1, running: 0, dead: 1 },
    enrichment: { pending: 0, running: 1, dead: 1 },
    answer: { pending: 1, running: 0, dead: 1 },
    summary: { pending: 0, running: 0, dead: 1 },
    labels: { pending: 1, running: 1, dead: 0 },
    backfill: { pending: 1, running: 0, dead: 1 },
    sweep: { pending: 1, running: 0, dead: 0 },
  };
}
