import { Prisma as Sql } from "./generated/sqlite/client.js";
import { unlocked, type LeasedTable } from "./lease.js";

/**
 * The tables of helpdesk jobs, run in the helpdesk lanes (src/jobs/helpdesk-lanes.ts): reopen jobs, enrichment
 * reads and link notes. They share their lease columns, `state` (pending | running | done | dead), `attempts`, `lockedBy`,
 * `lockedUntil`, `nextAttemptAt`, `lastError`, `lastStatus`, `updatedAt`, `finishedAt` and `provider`, so they share
 * their lease (src/store/lease.ts) and their outcomes.
 */
function helpdeskJobTable(kind: string, table: "ReopenJob" | "EnrichJob" | "LinkNote" | "AnswerWatch"): LeasedTable {
  return {
    kind,
    table,
    key: "id",
    ready: (now) => Sql.sql`"state" = 'pending' AND "nextAttemptAt" <= ${now}`,
    held: Sql.sql`"state" = 'running'`,
    order: Sql.sql`"nextAttemptAt", "id"`,
    onClaim: (now) => Sql.sql`"state" = 'running', "attempts" = "attempts" + 1, "updatedAt" = ${now}`,
    onRelease: Sql.sql`"state" = 'pending', "attempts" = "attempts" - 1`,
    waiting: () => Sql.sql`"state" = 'pending'`,
    dead: Sql.sql`"state" = 'dead'`,
    revive: (now) =>
      Sql.sql`"state" = 'pending', "attempts" = 0, "nextAttemptAt" = ${now}, "finishedAt" = NULL, ${unlocked()}, "updatedAt" = ${now}`,
  };
}

export const REOPEN_JOBS = helpdeskJobTable("reopen", "ReopenJob");
export const ENRICH_JOBS = helpdeskJobTable("enrichment", "EnrichJob");
export const LINK_NOTES = helpdeskJobTable("link note", "LinkNote");
/** Reads of a reopened conversation for its answer, and its reminder (docs/answers.md). */
export const ANSWER_WATCHES = helpdeskJobTable("answer", "AnswerWatch");

/** One provider's jobs, for a claim's `where`: each lane claims for its own helpdesk. */
export function ofProvider(provider: string): Sql.Sql {
  return Sql.sql`"provider" = ${provider}`;
}

export interface JobFailure {
  error: string;
  status?: number | undefined;
}

/** A retryable failure's outcome: pending again from `retryAt`. */
export function jobRetried(failure: JobFailure, retryAt: Date, now = new Date()): Sql.Sql {
  return Sql.sql`"state" = 'pending', "nextAttemptAt" = ${retryAt}, ${unlocked()}, "lastError" = ${failure.error}, "lastStatus" = ${failure.status ?? null}, "updatedAt" = ${now}`;
}

/** A permanent failure's outcome, or the last attempt's: dead, keeping the reason. */
export function jobDead(failure: JobFailure, at = new Date()): Sql.Sql {
  return Sql.sql`"state" = 'dead', "finishedAt" = ${at}, ${unlocked()}, "lastError" = ${failure.error}, "lastStatus" = ${failure.status ?? null}, "updatedAt" = ${at}`;
}

export const JOB_STATES = ["pending", "running", "done", "dead"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A table's jobs of one provider, by state. */
export interface ProviderQueue {
  provider: string;
  pending: number;
  running: number;
  done: number;
  dead: number;
}

/** Prisma's `groupBy(["provider", "state"])` counts as one row per provider, by provider name. */
export function queuesByProvider(
  groups: readonly { provider: string; state: string; _count: { _all: number } }[],
): ProviderQueue[] {
  const byProvider = new Map<string, ProviderQueue>();
  for (const group of groups) {
    const row = byProvider.get(group.provider) ?? {
      provider: group.provider,
      pending: 0,
      running: 0,
      done: 0,
      dead: 0,
    };
    if ((JOB_STATES as readonly string[]).includes(group.state)) row[group.state as JobState] += group._count._all;
    byProvider.set(group.provider, row);
  }
  return [...byProvider.values()].sort((a, b) => a.provider.localeCompare(b.provider));
}
