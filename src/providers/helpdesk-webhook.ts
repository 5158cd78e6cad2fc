import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ProviderId } from "../domain/link.js";

/**
 * What every helpdesk's webhook receiver implements (one `webhook.ts` per provider folder), and the signature checks
 * they share. The HTTP route (src/http/helpdesk-webhooks.ts) verifies with the provider's scheme over the raw body,
 * parses into a HelpdeskEvent, and stores that event in the delivery inbox; the worker links from it.
 */

/** One incoming request, as received: header names lower-cased (Node's), the body as the bytes that were signed. */
export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAt: Date;
}

export type Verification = { ok: true } | { ok: false; reason: string };

/**
 * A conversation event in the one shape closeloop reads, whatever the helpdesk. It is what the inbox stores (JSON), so
 * only what linking needs is kept: no customer name, address or message beyond the new text.
 */
export interface HelpdeskEvent {
  provider: ProviderId;
  /** the provider's event id, or a hash of the body when it sends none: the same delivery twice is one row */
  eventId: string;
  /** the provider's own name for what happened (topic, event type), for logs */
  type: string;
  /**
   * The conversation's URL in a shape the provider's URL matcher recognises. The link's account and conversation id
   * are read from it by that matcher, so a link made here is the same link as the URL pasted into an issue.
   */
  conversationUrl: string;
  /** new messages or notes of this event, HTML or plain text, each with the time it was written (ISO 8601) */
  messages: HelpdeskMessage[];
  /** the assigned team's name, when the event carries it (null: none assigned; absent: not in this event) */
  team?: string | null;
  /** the conversation's tags, when the event carries them */
  tags?: string[];
  /** when the helpdesk says the event happened (ISO 8601) */
  occurredAt: string;
  /**
   * Times (ISO 8601) of public replies agents wrote to the customer that the event shows: what answers a reopened
   * customer (docs/answers.md). Never a note, a customer's message or a bot's; absent when there are none.
   */
  agentReplies?: string[];
  /** the conversation was resolved, closed or archived, at this time (ISO 8601); absent when the event says not */
  closedAt?: string;
}

/** The answer fields of an event, present only when the event carries them (so events without stay as they were). */
export function answerFields(agentReplies: readonly (string | undefined)[], closedAt: string | undefined) {
  const replies = agentReplies.filter((at): at is string => at !== undefined);
  return {
    ...(replies.length === 0 ? {} : { agentReplies: replies }),
    ...(closedAt === undefined ? {} : { closedAt }),
  };
}

/**
 * One message or note. `byAgent` is the provider's word that a teammate wrote it (a note, an agent's reply), as its
 * webhook says; only such messages make links (README, Links made in the helpdesk): a customer who names an issue URL
 * links nothing. A message the webhook cannot attribute is not an agent's.
 */
export interface HelpdeskMessage {
  text: string;
  at: string;
  byAgent: boolean;
}

export type ParsedWebhook = { event: HelpdeskEvent } | { ignore: string };

export interface WebhookSettings {
  secret: string;
}

export interface HelpdeskWebhook<Settings extends WebhookSettings = WebhookSettings> {
  /** the variable holding the secret (README, Environment), e.g. ZENDESK_WEBHOOK_SECRET */
  secretVariable: string;
  /**
   * The receiver's settings from the environment: null when the secret is not set (the route then answers 404).
   * Throws ProviderConfigError when the secret is set but something the events need is missing.
   */
  configure(env: Record<string, string | undefined>): Settings | null;
  verify(request: WebhookRequest, settings: Settings): Verification;
  /** a signed request the helpdesk sends to check the endpoint (Front's challenge): answered, never stored */
  handshake?(request: WebhookRequest, body: unknown): { status: number; body: unknown } | undefined;
  /** reads a verified JSON body; `ignore` for events closeloop has no use for (answered 200, not stored) */
  parse(body: unknown, request: WebhookRequest, settings: Settings): ParsedWebhook;
}

/** How long a signed timestamp stays acceptable, either way (clock skew), so a captured request cannot be replayed later. */
export const TIMESTAMP_TOLERANCE_MS = 5 * 60_000;

/** A header's single value; a repeated header is refused rather than guessed at. */
export function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return typeof value === "string" ? value : undefined;
}

/**
 * Compares an HMAC of `data` with the one the helpdesk sent, in constant time. The given signature is decoded first
 * and its length compared (timingSafeEqual needs equal lengths); a length tells an attacker nothing they did not know.
 */
export function hmacMatches(
  algorithm: "sha1" | "sha256",
  secret: string,
  data: Buffer,
  given: string | undefined,
  encoding: "hex" | "base64",
): Verification {
  if (given === undefined || given.trim() === "") return { ok: false, reason: "signature header missing" };
  const text = given.trim();
  const wellFormed = encoding === "hex" ? /^[0-9a-f]+$/i.test(text) : /^[A-Za-z0-9+/]+={0,2}$/.test(text);
  if (!wellFormed) return { ok: false, reason: "signature is not " + encoding };
  const expected = createHmac(algorithm, secret).update(data).digest();
  const actual = Buffer.from(text, encoding);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    return { ok: false, reason: "signature does not match" };
  return { ok: true };
}

/** Compares a shared secret sent as-is (Freshdesk's custom header) in constant time, via fixed-length digests. */
export function secretMatches(secret: string, given: string | undefined): Verification {
  if (given === undefined || given === "") return { ok: false, reason: "secret header missing" };
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(secret), digest(given)) ? { ok: true } : { ok: false, reason: "secret does not match" };
}

/** A signed timestamp within TIMESTAMP_TOLERANCE_MS of now. */
export function timestampFresh(at: Date | undefined, now: Date): Verification {
  if (at === undefined || Number.isNaN(at.getTime()))
    return { ok: false, reason: "timestamp header missing or malformed" };
  return Math.abs(now.getTime() - at.getTime()) <= TIMESTAMP_TOLERANCE_MS
    ? { ok: true }
    : {
        ok: false,
        reason: `timestamp ${at.toISOString()} is more than ${TIMESTAMP_TOLERANCE_MS / 60_000} minutes from now`,
      };
}

/** An id for an event the helpdesk sends without one: the body's hash, so a redelivery of the same body is one row. */
export function bodyHash(body: Buffer): string {
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

/** A timestamp as ISO 8601: UNIX seconds, or an ISO string; undefined when absent or unreadable. */
export function isoTime(value: unknown): string | undefined {
  let date: Date;
  if (typeof value === "number") date = new Date(value > 1e12 ? value : value * 1000);
  else if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) return isoTime(Number(value));
  else if (typeof value === "string") date = new Date(value);
  else return undefined;
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
