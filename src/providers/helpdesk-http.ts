import { AsyncLocalStorage } from "node:async_hooks";
import type { z } from "zod";
import { CLOSED_TICKET } from "../domain/failure-category.js";
import type { ProviderId } from "../domain/link.js";
import { observeProviderCall } from "../metrics.js";

/**
 * The one HTTP path every helpdesk client takes: timeouts, the retryable/permanent decision, Retry-After and
 * rate-limit accounting live here, so the worker can treat all five helpdesks alike. Retrying is not done here: the
 * worker owns backoff, attempts and dead-lettering (docs/reopen.md, Failures), and only it knows whether a POST may be repeated.
 */

/** What a failed helpdesk call means for the job that made it. Never carries a token, a note body or customer data. */
export class HelpdeskError extends Error {
  override name = "HelpdeskError";
  readonly provider: ProviderId;
  readonly conversationId: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** operator-readable, e.g. "Zendesk: ticket 123 is closed; closed tickets cannot be reopened" */
  readonly reason: string;
  /**
   * The conversation can never be reopened nor written to (a `closed` Zendesk ticket; ProviderDefinition's
   * closedConversations is "follow-up"): a follow-up may stand in. The reason then ends in CLOSED_TICKET, the words a
   * dead job's failure category is read from, so no client has to know them.
   */
  readonly closed: boolean;

  constructor(fields: {
    provider: ProviderId;
    conversationId: string;
    status?: number | undefined;
    retryable: boolean;
    retryAfterMs?: number | undefined;
    reason: string;
    closed?: boolean;
    cause?: unknown;
  }) {
    const reason = fields.closed ? `${fields.reason}; ${CLOSED_TICKET}` : fields.reason;
    super(`${reason} (${fields.provider} conversation ${fields.conversationId})`, { cause: fields.cause });
    this.provider = fields.provider;
    this.conversationId = fields.conversationId;
    this.status = fields.status;
    this.retryable = fields.retryable;
    this.retryAfterMs = fields.retryAfterMs;
    this.reason = reason;
    this.closed = fields.closed ?? false;
  }
}

/** Rate-limit signals one response carried, read by the provider from its own headers. */
export interface RateLimitSignals {
  limit?: number;
  remaining?: number;
  resetAt?: Date;
  retryAfterMs?: number;
}

/** The last rate-limit signals seen from a provider, so a worker can slow down before it is throttled. */
export interface RateLimitState extends RateLimitSignals {
  observedAt: Date;
}

/** How one helpdesk speaks HTTP: its display name, its rate-limit headers, and where its error bodies keep a message. */
export interface HelpdeskProtocol {
  provider: ProviderId;
  /** display name, used as the prefix of reasons ("Zendesk: bad credentials (401)") */
  name: string;
  readRateLimit(headers: Headers, now: Date): RateLimitSignals;
  /** the human message of an error body, or undefined; clipped and scrubbed before use */
  readErrorMessage(body: unknown): string | undefined;
  /** credentials to scrub from any reason, in case an API echoes them */
  secrets: readonly string[];
}

export interface HelpdeskRequest<T> {
  conversationId: string;
  method: "GET" | "POST" | "PUT" | "PATCH";
  url: URL;
  headers?: Record<string, string>;
  /** sent as JSON */
  json?: unknown;
  /** sent as application/x-www-form-urlencoded (OAuth token requests) */
  form?: URLSearchParams;
  timeoutMs?: number;
  /** parses the response body; without it the body is not read for meaning */
  schema?: z.ZodType<T>;
  /** the reason for a 404; default "conversation not found (404)" */
  notFoundReason?: string;
  /** a provider-specific reading of an error response, consulted before the generic rules */
  classify?: (response: { status: number; body: unknown }) => { retryable: boolean; reason: string } | undefined;
  /** told the URL that finally answered when the request was redirected (a merged conversation's survivor) */
  redirected?: (url: URL) => void;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Redirects followed for one request: a merged conversation answers one; a chain of merges a few more. */
export const MAX_REDIRECTS = 3;
/** The redirects followed with the same method and body; 303 asks for a GET of something else, so it is not followed. */
const FOLLOWED = new Set([301, 302, 307, 308]);
const REASON_LENGTH = 200;

const rateLimitObservers = new AsyncLocalStorage<(state: RateLimitState) => void>();

/**
 * Runs `call` with `observe` told the rate-limit signals of every response its requests receive. The caller that
 * paces a helpdesk (its lane) owns what it learns; nothing is kept here between calls.
 */
export function observingRateLimits<T>(observe: (state: RateLimitState) => void, call: () => Promise<T>): Promise<T> {
  return rateLimitObservers.run(observe, call);
}

export function requestJson<T>(
  protocol: HelpdeskProtocol,
  request: HelpdeskRequest<T> & { schema: z.ZodType<T> },
): Promise<T>;
export function requestJson(protocol: HelpdeskProtocol, request: HelpdeskRequest<never>): Promise<void>;
/**
 * Sends one request and returns the parsed body (with a schema) or nothing; every failure becomes a HelpdeskError.
 * A redirect (Front and Help Scout answer 301 for a merged conversation) is followed with the same method and body,
 * on the configured API host only and at most MAX_REDIRECTS times; `redirected` learns where it ended.
 */
export async function requestJson<T>(protocol: HelpdeskProtocol, request: HelpdeskRequest<T>): Promise<T | void> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fail = (fields: {
    status?: number;
    retryable: boolean;
    retryAfterMs?: number;
    reason: string;
    cause?: unknown;
  }) =>
    new HelpdeskError({
      provider: protocol.provider,
      conversationId: request.conversationId,
      ...fields,
      reason: scrub(fields.reason, protocol.secrets),
    });

  const headers: Record<string, string> = { accept: "application/json", ...request.headers };
  let body: string | undefined;
  if (request.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = request.form.toString();
  } else if (request.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(request.json);
  }

  let response: Response;
  let text: string;
  let url = request.url;
  const visited = new Set([url.href]);
  for (let hop = 0; ; hop += 1) {
    const startedAt = performance.now();
    try {
      // Redirects are followed here, not by fetch: fetch would turn a redirected POST into a GET and follow any host.
      response = await fetch(url, {
        method: request.method,
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      observeProviderCall(protocol.provider, request.method, startedAt, undefined);
      throw fail({ retryable: true, reason: describeTransportError(error, timeoutMs), cause: error });
    }
    observeProviderCall(protocol.provider, request.method, startedAt, response.status);
    const location = FOLLOWED.has(response.status) ? response.headers.get("location") : null;
    if (location === null) break;
    recordRateLimit(protocol.readRateLimit(response.headers, new Date()), new Date());
    const next = redirectTarget(location, url, request.url);
    const refused = (why: string) =>
      fail({
        status: response.status,
        retryable: false,
        reason: `${protocol.name}: ${why} (${response.status} to ${clip(location)})`,
      });
    if (next === undefined) throw refused("redirect to another host refused");
    if (visited.has(next.href)) throw refused("redirect loop");
    if (hop + 1 > MAX_REDIRECTS) throw refused(`more than ${MAX_REDIRECTS} redirects`);
    visited.add(next.href);
    url = next;
  }
  if (url !== request.url) request.redirected?.(url);

  const now = new Date();
  const signals = protocol.readRateLimit(response.headers, now);
  recordRateLimit(signals, now);

  if (response.status >= 200 && response.status < 300) {
    if (request.schema === undefined) return;
    const parsed = request.schema.safeParse(parseBody(text));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "body" : issue.path.join(".");
    throw fail({
      status: response.status,
      retryable: false,
      reason: `${protocol.name}: unexpected response (${response.status}): ${where}: ${issue?.message ?? "invalid"}`,
    });
  }

  const errorBody = parseBody(text);
  const special = request.classify?.({ status: response.status, body: errorBody });
  if (special !== undefined) throw fail({ status: response.status, ...special });

  const retryAfterMs = retryDelay(response, signals, now);
  const message = clip(protocol.readErrorMessage(errorBody));
  const status = response.status;
  const name = protocol.name;

  if (status === 429) {
    const wait = retryAfterMs === undefined ? "" : `, retry in ${Math.ceil(retryAfterMs / 1000)}s`;
    throw fail({ status, retryable: true, retryAfterMs, reason: `${name}: rate limited (429)${wait}` });
  }
  if (status >= 500 || status === 408 || status === 409 || status === 425) {
    // 409: Zendesk answers it when two updates of one ticket collide; the second attempt goes through.
    const detail = message === undefined ? "" : `: ${message}`;
    throw fail({ status, retryable: true, retryAfterMs, reason: `${name}: server error (${status})${detail}` });
  }
  if (status === 401) throw fail({ status, retryable: false, reason: `${name}: bad credentials (401)` });
  if (status === 403) {
    const detail = message === undefined ? "" : `: ${message}`;
    throw fail({ status, retryable: false, reason: `${name}: forbidden (403)${detail}` });
  }
  if (status === 404) {
    throw fail({
      status,
      retryable: false,
      reason: `${name}: ${request.notFoundReason ?? "conversation not found (404)"}`,
    });
  }
  if (status >= 300 && status < 400) {
    throw fail({ status, retryable: false, reason: `${name}: redirect (${status}) not followed` });
  }
  const detail = message === undefined ? "" : `: ${message}`;
  throw fail({ status, retryable: false, reason: `${name}: request rejected (${status})${detail}` });
}

/** The Location resolved against the URL that answered, or undefined when it leaves the API's origin (never followed: no SSRF). */
function redirectTarget(location: string, from: URL, origin: URL): URL | undefined {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return undefined;
  }
  return next.origin === origin.origin ? next : undefined;
}

function recordRateLimit(signals: RateLimitSignals, now: Date): void {
  if (signals.limit === undefined && signals.remaining === undefined && signals.resetAt === undefined) return;
  rateLimitObservers.getStore()?.({ ...signals, observedAt: now });
}

/** Retry-After (RFC 9110: delay-seconds or an HTTP date) first, then the provider's own hints. */
function retryDelay(response: Response, signals: RateLimitSignals, now: Date): number | undefined {
  const standard = parseRetryAfter(response.headers.get("retry-after"), now);
  if (standard !== undefined) return standard;
  if (signals.retryAfterMs !== undefined) return signals.retryAfterMs;
  if (signals.resetAt !== undefined) return Math.max(0, signals.resetAt.getTime() - now.getTime());
  return undefined;
}

export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/** A header holding a whole number, or undefined. */
export function headerNumber(headers: Headers, name: string): number | undefined {
  const value = headers.get(name);
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

/** A reset header holding a UNIX time; some APIs send milliseconds, so large values are read as such. */
export function headerEpoch(headers: Headers, name: string): Date | undefined {
  const value = headerNumber(headers, name);
  if (value === undefined) return undefined;
  return new Date(value > 1e12 ? value : value * 1000);
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeTransportError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `timeout after ${timeoutMs}ms`;
  }
  const code = errorCode(error);
  switch (code) {
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
    case "EPIPE":
      return "connection reset";
    case "ECONNREFUSED":
      return "connection refused";
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return `connect timeout (${code})`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host not found (${code})`;
    case undefined:
      return error instanceof Error && /socket hang up/i.test(error.message) ? "connection reset" : "network error";
    default:
      return `network error (${code})`;
  }
}

/** fetch wraps the socket error in a TypeError("fetch failed"); the code sits on the cause. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === "object"; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function clip(message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const flat = message
    // eslint-disable-next-line no-control-regex -- control characters in a provider's error text are what this removes
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (flat === "") return undefined;
  return flat.length <= REASON_LENGTH ? flat : `${flat.slice(0, REASON_LENGTH)}…`;
}

function scrub(reason: string, secrets: readonly string[]): string {
  let clean = reason;
  for (const secret of secrets) {
    if (secret.length >= 4) clean = clean.split(secret).join("[redacted]");
  }
  return clean;
}
