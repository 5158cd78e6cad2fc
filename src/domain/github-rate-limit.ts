import { freeAt, heedSignals, startPace, type Pace, type PaceBudget, type PaceSignals } from "./rate-pacing.js";

/**
 * GitHub's primary rate limit for one installation, as a backfill spends it (README, Existing issues): pure, on the
 * pace of src/domain/rate-pacing.ts. Every answer of GitHub's REST API names the installation's hourly limit, what is
 * left of it and when it refills (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 * A backfill calls as fast as it is answered while more than the webhook path's reserve is left, then waits for the
 * reset instead of calling into a refusal: the calls of the hour's end stay for the label writes, config reads and
 * comments of live webhooks on the same installation.
 */

/** Where a pace starts before any answer: GitHub's smallest installation limit, 5,000 calls an hour. */
export const GITHUB_INSTALLATION_BUDGET: PaceBudget = { requests: 5_000, intervalMs: 60 * 60_000 };

/**
 * The share of an installation's limit a backfill leaves for the webhook path: a tenth, 500 of the smallest hour's
 * 5,000 calls (a hundred or more label changes at a few calls each, should the hour's last minutes bring them). A
 * fraction and not a count, because GitHub's limit grows with an installation's repositories and users (up to 12,500,
 * 15,000 on Enterprise Cloud), and so do its webhooks.
 */
export const WEBHOOK_SHARE = 0.1;

/** The calls of an installation's window a backfill leaves for the webhook path: at least one. */
export function webhookReserveOf(limit: number): number {
  return Math.max(1, Math.ceil(limit * WEBHOOK_SHARE));
}

/** An answer's headers as Octokit gives them: lower-case names, string values. */
export type AnswerHeaders = Readonly<Record<string, string | number | undefined>>;

/**
 * What an answer says of the installation's REST budget (the `core` resource, which every listing, content read and
 * label write counts against); null when it says nothing to pace by: a limit, a remaining count or a reset missing or
 * malformed (GitHub Enterprise Server with rate limits off sends none), or the answer of another budget (`search`,
 * `graphql`), so a backfill then calls as it would without pacing.
 */
export function readGithubRateLimit(headers: AnswerHeaders): PaceSignals | null {
  const resource = headers["x-ratelimit-resource"];
  if (resource !== undefined && resource !== "core") return null;
  const limit = wholeNumber(headers["x-ratelimit-limit"]);
  const remaining = wholeNumber(headers["x-ratelimit-remaining"]);
  const reset = wholeNumber(headers["x-ratelimit-reset"]);
  if (limit === undefined || limit === 0 || remaining === undefined || reset === undefined) return null;
  return { limit, remaining, resetAt: reset * 1000 };
}

/** An installation's budget before any answer was heard. */
export function startInstallationPace(now: number): Pace {
  return startPace(GITHUB_INSTALLATION_BUDGET, now);
}

/** A call sent: it counts against what the last answer said was left; its ticket matches its answer to it. */
export function countCall(pace: Pace): { pace: Pace; ticket: number } {
  return { pace: { ...pace, taken: pace.taken + 1 }, ticket: pace.taken + 1 };
}

/** The answer to the call `ticket`: what its headers say, when they say it (readGithubRateLimit). */
export function heedAnswer(pace: Pace, headers: AnswerHeaders, ticket: number, now: number): Pace {
  const signals = readGithubRateLimit(headers);
  return signals === null ? pace : heedSignals(pace, signals, ticket, now);
}

/**
 * When a backfill's next call may go: now, or a little past the reset when what the last answer left, less the calls
 * since, is down to the webhook path's reserve (freeAt).
 */
export function backfillCallAt(pace: Pace, now: number): number {
  return freeAt(pace, now, webhookReserveOf(pace.limit));
}

function wholeNumber(value: string | number | undefined): number | undefined {
  const text = typeof value === "number" ? String(value) : value;
  return text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
}
