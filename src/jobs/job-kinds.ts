import { queueSettings, type QueueName } from "../config/queues.js";
import { BACKFILLS } from "../store/backfills.js";
import { DELIVERIES } from "../store/deliveries.js";
import { ANSWER_WATCHES, ENRICH_JOBS, LINK_NOTES, REOPEN_JOBS } from "../store/helpdesk-jobs.js";
import { ISSUE_MARKINGS } from "../store/issue-markings.js";
import type { Prisma } from "../store/database.js";
import { countJobs, reviveDead, type JobCounts, type LeasedTable } from "../store/lease.js";
import { SUMMARIES } from "../store/reopen-jobs.js";
import { SWEEPS } from "../store/sweep-schedule.js";
import { answerJobs } from "./answer-job.js";
import { BackfillWorker } from "./backfill-worker.js";
import { DeliveryWorker } from "./delivery-worker.js";
import { enrichmentJobs } from "./enrichment-job.js";
import { IssueMarkingsWorker } from "./issue-markings-worker.js";
import { besideHelpdeskLanes, inHelpdeskLanes, ownWorker, type JobRunner } from "./job-runner.js";
import { LabelSweepWorker } from "./label-sweep-worker.js";
import { linkNoteJobs } from "./link-note-job.js";
import { reopenJobs } from "./reopen-job.js";
import { SummaryComments } from "./summary-comments.js";

/** One kind of background work, declared once (docs/jobs.md, The job-kind registry). */
export interface JobKind {
  /** its `QUEUES` entry (lease, attempts, backoff), and its name in `/metrics` and `closeloop status --json` */
  id: QueueName;
  /** what `closeloop status` and the operations page call its rows */
  title: string;
  /** its leased table: the lease, and which rows wait, which are dead and how one is revived */
  table: LeasedTable;
  /** what works its rows: a worker of its own, or a part of the helpdesk worker; the server builds them from this */
  runs: JobRunner;
}

/** Every kind of background work: every surface that shows or retries jobs loops over this list. */
export const JOB_KINDS: readonly JobKind[] = [
  {
    id: "delivery",
    title: "webhook deliveries",
    table: DELIVERIES,
    runs: ownWorker(
      DeliveryWorker,
      (deps) =>
        new DeliveryWorker(deps.prisma, deps.engine, deps.dispatch, deps.log, { ingestActive: deps.ingestActive }),
    ),
  },
  {
    id: "reopen",
    title: "reopen jobs",
    table: REOPEN_JOBS,
    runs: inHelpdeskLanes(({ prisma, log, options, lookaheadSeconds, dryRun, settled }) =>
      reopenJobs(prisma, log, { settings: queueSettings("reopen", options), lookaheadSeconds, dryRun, settled }),
    ),
  },
  {
    id: "linkNote",
    title: "link notes",
    table: LINK_NOTES,
    runs: inHelpdeskLanes(({ prisma, log, options, lookaheadSeconds, dryRun }) =>
      linkNoteJobs(prisma, log, { settings: queueSettings("linkNote", options), lookaheadSeconds, dryRun }),
    ),
  },
  {
    id: "enrichment",
    title: "conversation reads for labels",
    table: ENRICH_JOBS,
    // Without the customer key and the label wiring (a test's worker), enrichment jobs wait.
    runs: inHelpdeskLanes(({ prisma, log, options, lookaheadSeconds }) =>
      options.enrichment === undefined
        ? null
        : enrichmentJobs(prisma, log, options.enrichment, {
            settings: queueSettings("enrichment", options),
            lookaheadSeconds,
          }),
    ),
  },
  {
    id: "answer",
    title: "answer reads and reminders after a reopen",
    table: ANSWER_WATCHES,
    runs: inHelpdeskLanes(({ prisma, log, options, lookaheadSeconds, dryRun }) =>
      answerJobs(prisma, log, {
        settings: queueSettings("answer", options),
        lookaheadSeconds,
        dryRun,
        webhooks: options.webhooks ?? new Set(),
        issueUrl: options.issueUrl ?? ((owner, repo, number) => `https://github.com/${owner}/${repo}/issues/${number}`),
      }),
    ),
  },
  {
    id: "summary",
    title: "summary comments",
    table: SUMMARIES,
    runs: besideHelpdeskLanes(
      ({ prisma, engine, github, log, owner, options, dryRun }) =>
        new SummaryComments(prisma, engine, github, log, owner, {
          settings: queueSettings("summary", { leaseMs: options.leaseMs, maxAttempts: options.maxSummaryAttempts }),
          dryRun,
          appId: options.appId,
        }),
    ),
  },
  {
    id: "labels",
    title: "label and project updates",
    table: ISSUE_MARKINGS,
    runs: ownWorker(IssueMarkingsWorker, (deps) => new IssueMarkingsWorker(deps, { ingestActive: deps.ingestActive })),
  },
  {
    id: "backfill",
    title: "backfills",
    table: BACKFILLS,
    // The markings job applies the labels the backfill's pages mark wanted.
    runs: ownWorker(BackfillWorker, (deps) => new BackfillWorker(deps, { ingestActive: deps.ingestActive })),
  },
  {
    id: "sweep",
    title: "decay sweep",
    table: SWEEPS,
    runs: ownWorker(
      LabelSweepWorker,
      (deps) => new LabelSweepWorker(deps, { intervalMs: deps.sweepIntervalMs, ingestActive: deps.ingestActive }),
    ),
  },
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
