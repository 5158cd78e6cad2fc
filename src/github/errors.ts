/**
 * What closeloop reads of a failed GitHub call (an Octokit RequestError): its status, message, validation codes and
 * rate limits. Every caller reads them here, so a thrown value that is not an Octokit error (a network failure, a
 * parse error) reads as "no status" the same way everywhere.
 */

/** The HTTP status GitHub answered with; undefined when no answer came (or the error is not GitHub's). */
export function githubStatus(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null | undefined)?.status;
  return typeof value === "number" ? value : undefined;
}

/** GitHub's own message (the response body's `message`), else the error's. */
export function githubMessage(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } } | null | undefined)?.response?.data;
  return typeof data?.message === "string" ? data.message : error instanceof Error ? error.message : String(error);
}

/** The `code` of each entry in a 422's `errors` list (e.g. "already_exists"). */
export function githubErrorCodes(error: unknown): string[] {
  const errors = (error as { response?: { data?: { errors?: unknown } } } | null | undefined)?.response?.data?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry: { code?: unknown } | null) => (typeof entry?.code === "string" ? [entry.code] : []));
}

const DEFAULT_WAIT_MS = 60_000;

/**
 * How long GitHub asked to wait when the error is one of its rate limits, else undefined. A rate limit is a 429, or a
 * 403 that carries Retry-After, an exhausted X-RateLimit-Remaining, or "rate limit" in its message (a secondary limit);
 * any other 403 is a refusal (no permission, an archived repository). The wait is Retry-After, else the time until
 * X-RateLimit-Reset when the limit is exhausted, else a minute.
 */
export function githubRateLimitWait(error: unknown, now = Date.now()): number | undefined {
  const graphql = graphqlErrorTypes(error);
  if (graphql.some((type) => GRAPHQL_RATE_LIMITS.has(type))) {
    const shaped = error as { headers?: Record<string, unknown>; response?: { headers?: Record<string, unknown> } };
    return rateLimitWait(shaped.headers ?? shaped.response?.headers ?? {}, now);
  }
  const status = githubStatus(error);
  if (status !== 403 && status !== 429) return undefined;
  const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers ?? {};
  const exhausted = headers["x-ratelimit-remaining"] === "0";
  if (status === 403 && headers["retry-after"] === undefined && !exhausted && !/rate limit/i.test(githubMessage(error)))
    return undefined;
  return rateLimitWait(headers, now);
}

function rateLimitWait(headers: Record<string, unknown>, now: number): number {
  const exhausted = headers["x-ratelimit-remaining"] === "0";
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
  const reset = Number(headers["x-ratelimit-reset"]) * 1000;
  if (exhausted && Number.isFinite(reset)) return Math.max(0, reset - now);
  return DEFAULT_WAIT_MS;
}

/**
 * A refusal that stays until someone acts: a 403 that is not a rate limit (no permission, an archived repository), or
 * a 451 (the repository blocked for legal reasons). Rate limits are retried.
 */
export function githubRefused(error: unknown): boolean {
  const status = githubStatus(error);
  return status === 451 || (status === 403 && githubRateLimitWait(error) === undefined);
}

/**
 * GitHub's GraphQL API answers 200 with an `errors` list (Octokit's GraphqlResponseError) for what REST answers with a
 * status: `NOT_FOUND`, `FORBIDDEN`, and its primary rate limit as `RATE_LIMITED` (documented) or `RATE_LIMIT` (seen).
 * With throttling on (as Probot's server runs), @octokit/plugin-throttling throws a RATE_LIMITED answer itself, before
 * @octokit/graphql sees it, as a plain Error carrying the answer as `response` ({ data: { errors }, headers }) and
 * `data`, and no status (its wrap-request.js). Both shapes are read. The types of the errors, or none when the error
 * is not such an answer.
 */
export function graphqlErrorTypes(error: unknown): string[] {
  const shaped = error as
    | { errors?: unknown; status?: unknown; response?: { data?: { errors?: unknown } }; data?: { errors?: unknown } }
    | null
    | undefined;
  // A REST failure has a status; its body's `errors` are validation codes, not GraphQL errors.
  const errors =
    shaped?.errors ??
    (shaped?.status === undefined ? (shaped?.response?.data?.errors ?? shaped?.data?.errors) : undefined);
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry: { type?: unknown } | null) => (typeof entry?.type === "string" ? [entry.type] : []));
}

const GRAPHQL_RATE_LIMITS = new Set(["RATE_LIMITED", "RATE_LIMIT"]);
