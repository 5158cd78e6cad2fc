import type { QueueSettings } from "../config/queues.js";

/** What a failure says about trying again: the helpdesk and GitHub errors carry this; anything else is retryable. */
export interface FailureKind {
  retryable: boolean;
  /** the service named a wait (Retry-After, a rate-limit reset): never retried sooner */
  retryAfterMs?: number | undefined;
}

export type RetryDecision =
  { retry: true; at: Date; delayMs: number } | { retry: false; why: "permanent" | "attempts" };

/**
 * The one retry policy: a retryable failure is tried again after a backoff (or the wait the service named, if longer)
 * until the item has been claimed `maxAttempts` times; a permanent one, or one past its attempts, is dead.
 */
export function decideRetry(
  failure: FailureKind,
  attempts: number,
  settings: Pick<QueueSettings, "maxAttempts" | "backoffBaseMs" | "backoffMaxMs">,
  now = Date.now(),
  random: () => number = Math.random,
): RetryDecision {
  if (!failure.retryable) return { retry: false, why: "permanent" };
  if (attempts >= settings.maxAttempts) return { retry: false, why: "attempts" };
  const delayMs = Math.max(
    failure.retryAfterMs ?? 0,
    backoffDelay(attempts, settings.backoffBaseMs, settings.backoffMaxMs, random),
  );
  return { retry: true, at: new Date(now + delayMs), delayMs };
}

/**
 * Exponential backoff with equal jitter: attempt 1 waits between half of `baseMs` and `baseMs`, each further attempt
 * twice as long, capped at `maxMs`. Equal rather than full jitter, on purpose: the random half spreads replicas and
 * retries so they do not hit a recovering service together, and the fixed half keeps a retry from coming back almost
 * at once after a failure, which full jitter (anywhere from zero) allows.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
