import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The bytes of request bodies being read at once, over every webhook path: a few concurrent uploads near GitHub's
 * 25 MB limit must not hold hundreds of MB between them. A request takes its share before its body is kept (its
 * Content-Length when it sends one, else chunk by chunk) and gives it back when its response ends.
 */
export class BodyBudget {
  #inUse = 0;

  constructor(readonly capBytes: number) {}

  get inUse(): number {
    return this.#inUse;
  }

  /** Takes `bytes` if they fit under the cap; false (and nothing taken) otherwise. */
  take(bytes: number): boolean {
    if (this.#inUse + bytes > this.capBytes) return false;
    this.#inUse += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#inUse -= bytes;
  }
}

/** At most this many body bytes are held at once across all webhook requests: two bodies at GitHub's limit, and some. */
export const IN_FLIGHT_BODY_BYTES = 64 * 1024 * 1024;
/** How long a sender may take to send a webhook's body: GitHub and the helpdesks send it at once, a slow one is cut. */
export const BODY_TIMEOUT_MS = 30_000;
/** How many seconds a request refused for the cap is told to wait (Retry-After). */
export const BUSY_RETRY_AFTER_SECONDS = 5;

export type BodyRead = { body: Buffer } | { refused: "too_large" | "busy" | "timeout" };

/**
 * A request's raw bytes, read within `timeoutMs` and holding its share of `budget` until `response` ends; or why not.
 * Over `limit` or over the budget, the rest is read and dropped, never kept, so the caller can still answer on the
 * same connection; on timeout the caller answers and the connection is closed.
 */
export function readBody(
  request: IncomingMessage,
  response: ServerResponse,
  options: { limit: number; budget: BodyBudget; timeoutMs?: number },
): Promise<BodyRead> {
  const { limit, budget, timeoutMs = BODY_TIMEOUT_MS } = options;
  let held = 0;
  response.once("close", () => budget.give(held));
  const hold = (bytes: number) => {
    if (!budget.take(bytes)) return false;
    held += bytes;
    return true;
  };
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limit) return Promise.resolve({ refused: "too_large" });
  if (declared !== undefined && !hold(declared)) return Promise.resolve({ refused: "busy" });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const settle = (read: BodyRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      chunks.length = 0;
      resolve(read);
    };
    const timer = setTimeout(() => settle({ refused: "timeout" }), timeoutMs);
    timer.unref();
    request.on("data", (chunk: Buffer) => {
      if (settled) return;
      length += chunk.length;
      if (length > limit) return settle({ refused: "too_large" });
      if (declared === undefined && !hold(chunk.length)) return settle({ refused: "busy" });
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (settled) return;
      const body = Buffer.concat(chunks, length);
      settled = true;
      clearTimeout(timer);
      resolve({ body });
    });
    request.on("error", (error) => {
      clearTimeout(timer);
      if (!settled) reject(error);
    });
  });
}

/** The request's Content-Length as a number; undefined when it sends none (chunked) or an unreadable one. */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers["content-length"];
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}

/** `application/json`, with or without parameters, as @octokit/webhooks' middleware requires. */
export function isJsonContentType(request: IncomingMessage): boolean {
  const type = request.headers["content-type"];
  return typeof type === "string" && /^\s*application\/json\s*(?:;|$)/i.test(type);
}

/** Answers `body` as JSON, never to be cached: what closeloop's own HTTP answers (health, webhooks) send. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  response
    .writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers })
    .end(JSON.stringify(body));
}

/**
 * Answers a webhook request, closing the connection when its body was not read to the end (so what is left of it is
 * never parsed as a next request).
 */
export function refuse(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  if (response.headersSent) return void response.destroy();
  sendJson(response, status, body, { connection: "close", ...headers });
}
