/**
 * Every kind of background work, with its lease and retry limits: the one place these defaults live (docs/jobs.md).
 * A worker's options may override them (tests shorten them; `CLOSELOOP_REOPEN_LEASE_SECONDS` sets the reopen lease).
 *
 * The lease is renewed every third of its length, so a worker keeps it through two missed renewals; a worker that
 * could not renew for a whole lease (its process starved or paused) finds it taken over and stops (src/store/lease.ts).
 */
export interface QueueSettings {
  /** how long a claim is held before another worker may take it over; renewed while held */
  leaseMs: number;
  /** claims of one item before a retryable failure makes it dead */
  maxAttempts: number;
  /** the first retry waits about this long; each further one up to twice as long */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const QUEUES = {
  /** GitHub webhook and helpdesk deliveries in the inbox */
  delivery: { leaseMs: 10_000, maxAttempts: 8, backoffBaseMs: 1_000, backoffMaxMs: 5 * 60_000 },
  /** a linked conversation's note and reopen: a helpdesk outage of hours is outlasted (15 attempts reach the 15-minute cap) */
  reopen: { leaseMs: 30_000, maxAttempts: 15, backoffBaseMs: 2_000, backoffMaxMs: 15 * 60_000 },
  /** the note on a conversation a GitHub body or comment linked for the first time */
  linkNote: { leaseMs: 30_000, maxAttempts: 15, backoffBaseMs: 2_000, backoffMaxMs: 15 * 60_000 },
  /** a linked conversation's details, for the labels */
  enrichment: { leaseMs: 30_000, maxAttempts: 15, backoffBaseMs: 2_000, backoffMaxMs: 15 * 60_000 },
  /** a reopened conversation's reads for its answer, and its reminder (docs/answers.md) */
  answer: { leaseMs: 30_000, maxAttempts: 15, backoffBaseMs: 2_000, backoffMaxMs: 15 * 60_000 },
  /** the summary comment on a closed issue */
  summary: { leaseMs: 30_000, maxAttempts: 8, backoffBaseMs: 5_000, backoffMaxMs: 10 * 60_000 },
  /** an issue's labels, after its links or their details changed; given up, the issue is left to the decay sweep */
  labels: { leaseMs: 60_000, maxAttempts: 5, backoffBaseMs: 5_000, backoffMaxMs: 5 * 60_000 },
  /** reading a repository's existing issues for links */
  backfill: { leaseMs: 60_000, maxAttempts: 8, backoffBaseMs: 5_000, backoffMaxMs: 10 * 60_000 },
  /** the decay sweep: one replica at a time; a failed sweep waits for the next interval instead of retrying */
  sweep: { leaseMs: 2 * 60_000, maxAttempts: 1, backoffBaseMs: 0, backoffMaxMs: 0 },
} as const satisfies Record<string, QueueSettings>;

export type QueueName = keyof typeof QUEUES;

/**
 * After GitHub refuses label writes to a repository (403), or its `project.url` project, writes of that kind there
 * wait this long before one more try (docs/labels.md, docs/projects.md).
 */
export const REFUSAL_PAUSE_MS = 60 * 60_000;

/** A queue's settings with a worker's overrides (tests shorten them); an override left undefined keeps the default. */
export function queueSettings(name: QueueName, overrides: Partial<QueueSettings> = {}): QueueSettings {
  const { leaseMs, maxAttempts, backoffBaseMs, backoffMaxMs } = overrides;
  const given = Object.entries({ leaseMs, maxAttempts, backoffBaseMs, backoffMaxMs }).filter(
    ([, value]) => value !== undefined,
  );
  return { ...QUEUES[name], ...(Object.fromEntries(given) as Partial<QueueSettings>) };
}
