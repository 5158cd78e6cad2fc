import type { QueueName } from "../config/queues.js";
import { BACKFILLS } from "../store/backfills.js";
import { DELIVERIES } from "../store/deliveries.js";
import { ANSWER_WATCHES, ENRICH_JOBS, LINK_NOTES, REOPEN_JOBS } from "../store/helpdesk-jobs.js";
import { ISSUE_MARKINGS } from "../store/issue-markings.js";
import type { Prisma } from "../store/database.js";
import { countJobs, reviveDead, type JobCounts, type LeasedTable } from "../store/lease.js";
import { SUMMARIES } from "../store/reopen-jobs.js";
import { SWEEPS } from "../store/sweep-schedule.js";

/** One kind of background work, declared once (docs/jobs.md, The job-kind registry). */
export interface JobKind {
  /** its `QUEUES` entry (lease, attempts, backoff), and its name in `/metrics` and `closeloop status --json` */
  id: QueueName;
  /** what `closeloop status` and the operations page call its rows */
  title: string;
  /** its leased table: the lease, and which rows wait, which are dead and how one is revived */
  table: LeasedTable;
}

/** Every kind of background work: every surface that shows or retries jobs loops over this list. */
export const JOB_KINDS: readonly JobKind[] = [
  { id: "delivery", title: "webhook deliveries", table: DELIVERIES },
  { id: "reopen", title: "reopen jobs", table: REOPEN_JOBS },
  { id: "linkNote", title: "link notes", table: LINK_NOTES },
  { id: "enrichment", title: "conversation reads for labels", table: ENRICH_JOBS },
  { id: "answer", title: "answer reads and reminders after a reopen", table: ANSWER_WATCHES },
  { id: "summary", title: "summary comments", table: SUMMARIES },
  { id: "labels", title: "label and project updates", table: ISSUE_MARKINGS },
  { id: "backfill", title: "backfills", table: BACKFILLS },
  { id: "sweep", title: "decay sweep", table: SWEEPS },
];

/** A kind's rows by state, as `closeloop status` and the operations page show them. */
export interface KindCounts extends JobCounts {
  kind: QueueName;
  title: string;
  /** `closeloop retry --dead` runs its dead rows again */
  retriable: boolean;
}

/** Every kind's rows by state, in the registry's order. */
export async function countEveryKind(prisma: Prisma, now = new Date()): Promise<KindCounts[]> {
  const counts = await Promise.all(JOB_KINDS.map((kind) => countJobs(prisma, kind.table, now)));
  return JOB_KINDS.map((kind, i) => ({
    kind: kind.id,
    title: kind.title,
    ...counts[i]!,
    retriable: kind.table.revive !== null,
  }));
}

/**
 * `closeloop retry --dead` and the operations page's "Retry every dead job": the dead rows of every kind run again
 * with a fresh attempt budget. Returns how many, in all and by kind.
 */
export async function reviveEveryDead(
  prisma: Prisma,
  now = new Date(),
): Promise<{ retried: number; kinds: Partial<Record<QueueName, number>> }> {
  const kinds: Partial<Record<QueueName, number>> = {};
  for (const kind of JOB_KINDS)
    if (kind.table.revive !== null) kinds[kind.id] = await reviveDead(prisma, kind.table, now);
  return { retried: Object.values(kinds).reduce((sum, n) => sum + n, 0), kinds };
}
