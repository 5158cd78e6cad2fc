import { HelpdeskError } from "./helpdesk-http.js";
import type { ConversationDetails, ConversationRef } from "./provider.js";

/** A helpdesk's creation time, or null when it is missing or not a date. */
export function readTime(text: string | null | undefined): Date | null {
  if (text === undefined || text === null) return null;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? null : time;
}

/** A helpdesk's numeric or string id as the text we store, or null. */
export function readId(id: number | string | null | undefined): string | null {
  return id === undefined || id === null ? null : String(id);
}

/** Zendesk and Freshdesk tickets carry the same fields labels read; the group's name is looked up by the caller. */
export function ticketDetails(
  ticket: { tags?: string[] | null; requester_id?: number | null; created_at?: string | null },
  team: string | null,
): ConversationDetails {
  return {
    team,
    tags: ticket.tags ?? [],
    customerId: readId(ticket.requester_id),
    createdAt: readTime(ticket.created_at),
  };
}

export interface LookupCacheOptions {
  /** how long a loaded answer is served; default an hour */
  ttlMs?: number;
  /** entries kept at most; the oldest is dropped first. Default 5,000 */
  maxEntries?: number;
  /** milliseconds since the epoch; tests move it */
  now?: () => number;
}

/** Answers `key` from the cache, or by calling `load` once for every caller that asks while it runs. */
export type CachedLookup<K, V> = (key: K, load: () => Promise<V>) => Promise<V>;

/**
 * Memoises an async lookup by key. An answer is kept for the TTL after it arrived; a thrown error is not kept, so the
 * next caller asks again. Callers that ask while a load runs share its promise (and its failure): one request, not one
 * per caller. The Map's insertion order is the age order, so the first key is the one dropped when it is full.
 */
export function cacheLookups<K, V>(options: LookupCacheOptions = {}): CachedLookup<K, V> {
  const { ttlMs = 60 * 60_000, maxEntries = 5_000, now = Date.now } = options;
  const entries = new Map<K, { answer: Promise<V>; expiresAt: number }>();

  return (key, load) => {
    const cached = entries.get(key);
    if (cached !== undefined && now() < cached.expiresAt) return cached.answer;
    entries.delete(key);
    const answer = Promise.resolve().then(load);
    // A load in flight never expires: every caller until it settles waits for it.
    const entry = { answer, expiresAt: Number.POSITIVE_INFINITY };
    entries.set(key, entry);
    for (const oldest of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(oldest);
    }
    answer.then(
      () => {
        entry.expiresAt = now() + ttlMs;
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return answer;
  };
}

/** Reads a team's (group's, mailbox's) name by id for the conversation that names it. */
export type TeamNameLookup = (
  ref: ConversationRef,
  id: string | number,
  read: () => Promise<string>,
) => Promise<string | null>;

/**
 * Team names change rarely and an account has few, while every newly linked conversation names one: a client reads
 * each id's name once an hour instead of once per conversation. A team deleted since it was assigned (404) reads as no
 * team rather than making the conversation unreadable, and that answer is kept too.
 */
export function cacheTeamNames(options?: LookupCacheOptions): TeamNameLookup {
  const lookup = cacheLookups<string | number, string | null>(options);
  return async (ref, id, read) => {
    try {
      return await lookup(id, () =>
        read().catch((error: unknown) => {
          if (error instanceof HelpdeskError && error.status === 404) return null;
          throw error;
        }),
      );
    } catch (error) {
      throw forConversation(error, ref.conversationId);
    }
  };
}

/** A failure shared by concurrent readers of one team names the conversation each reader was reading. */
function forConversation(error: unknown, conversationId: string): unknown {
  if (!(error instanceof HelpdeskError) || error.conversationId === conversationId) return error;
  const { provider, status, retryable, retryAfterMs, reason, cause } = error;
  return new HelpdeskError({ provider, conversationId, status, retryable, retryAfterMs, reason, cause });
}
