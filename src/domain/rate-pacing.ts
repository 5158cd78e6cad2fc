/**
 * Pacing calls to a helpdesk by what its rate-limit headers say (docs/jobs.md, "Pacing"): pure, so the same rules run
 * in one process (SQLite) and on a row every replica shares (PostgreSQL). Times are milliseconds since the epoch.
 *
 * The documented default budget only starts a pace. Each answer's `limit` replaces it; its `remaining` and `reset` are
 * spent evenly until the reset, less a small reserve, so the pace converges to the announced limit whatever the
 * helpdesk's window is; with nothing left the next turn waits for the reset. Units, not calls: Help Scout counts a write
 * as two.
 *
 * A helpdesk may announce a limit and what is left of it without saying when it refills, nor over which window it
 * counts (Freshdesk: https://developers.freshdesk.com/api/#ratelimit documents X-RateLimit-Total, -Remaining,
 * -Used-CurrentRequest and Retry-After, but no reset and no window; accounts are on per-minute or, not yet moved,
 * per-hour limits). Then the budget's `longestWindowMs` is the longest window the limit may count, and: what an answer
 * said is left stands until a later answer says otherwise or that longest window has passed (not the shortest, which
 * would count an hourly account's spent calls as refilled after a minute); while it leaves more than the reserve, calls
 * go at the announced limit per `intervalMs`, never more of them than it leaves; with nothing to spare, at most the limit
 * per longest window, a pace no window can overrun, until an answer tells: a refill re-paces at once, a 429's
 * Retry-After pauses until the window ends. An hourly account so spends its hour's calls, meets one 429 and waits for
 * the next hour; a per-minute one does the same each minute.
 */

/** How fast to go before any header says otherwise. */
export interface PaceBudget {
  requests: number;
  intervalMs: number;
  /** when the headers name no reset: the longest window the announced limit may count (above); `intervalMs` if unset */
  longestWindowMs?: number | undefined;
}

/** What one answer said about the budget; `resetAt` when the helpdesk sends one. */
export interface PaceSignals {
  limit?: number | undefined;
  remaining?: number | undefined;
  resetAt?: number | undefined;
}

/** The last answer heard: `remaining` after the turn whose ticket is `ticket`, at `at`. */
export interface Heard {
  remaining: number;
  resetAt: number | null;
  ticket: number;
  at: number;
}

export interface Pace {
  /** units per window: the default budget's until an answer announces the limit */
  limit: number;
  windowMs: number;
  /** the budget's longestWindowMs (or windowMs): how long a count heard without a reset may stand */
  longestWindowMs: number;
  /** units handed out so far; a turn's ticket is the count after it */
  taken: number;
  /** the earliest time of the next turn */
  nextAt: number;
  /** a 429's wait */
  pausedUntil: number;
  heard: Heard | null;
}

export interface Turn {
  pace: Pace;
  /** when the call may be sent */
  at: number;
  /** matches the answer's signals to the turn (heedSignals) */
  ticket: number;
}

/** A 429 without a wait pauses this long. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 5_000;
/**
 * No pause is longer: a wait the helpdesk names (Retry-After, a reset) is honoured up to two hours, so an hourly limit
 * (Freshdesk accounts still on per-hour limits name up to an hour) is waited out instead of retried every few minutes
 * into more 429s; a longer one is taken for a broken header.
 */
export const LONGEST_PAUSE_MS = 2 * 60 * 60_000;
/** A reset header is read in whole seconds: two resets this close apart are the same window's. */
const SAME_RESET_MS = 1_000;

export function startPace(budget: PaceBudget, now: number): Pace {
  return {
    limit: budget.requests,
    windowMs: budget.intervalMs,
    longestWindowMs: longestWindowOf(budget),
    taken: 0,
    nextAt: now,
    pausedUntil: 0,
    heard: null,
  };
}

export function longestWindowOf(budget: PaceBudget): number {
  return Math.max(budget.intervalMs, budget.longestWindowMs ?? budget.intervalMs);
}

/**
 * Units kept back while the headers name no reset: what an answer said is left may be of another window than the next
 * call's, so a little is kept for calls in flight the last answer did not count yet and a clock a little off.
 */
export function reserveOf(limit: number): number {
  return Math.max(1, Math.ceil(limit / 100));
}

/**
 * Units kept back from a window whose reset is known: only the calls in flight that the last answer may not have
 * counted yet (sent before it, answered after it), a hundredth of the limit, none under a hundred. Turns already count
 * the calls since the answer (`taken - heard.ticket`), and the clock's offset at the window's edge is met by waiting a
 * little past the reset (edgeOf) instead: a unit kept back is lost for good, a wait after the reset is not, since the
 * window's units are spread over what is left of it. At 50 a window the old reserve of one was 2 % of the limit.
 */
export function windowReserveOf(limit: number): number {
  return Math.floor(limit / 100);
}

/** No edge is longer: with windows of a second or more, the units of a window still fit in what is left of it. */
const LONGEST_EDGE_MS = 250;
/** No edge is shorter: a clock kept by NTP is rarely further off than this from the helpdesk's. */
const SHORTEST_EDGE_MS = 50;

/**
 * How long past a reset the first call of a window that was spent to its end waits: the reset is the helpdesk's clock,
 * and a call that reaches it before its window turned is refused, with a Retry-After of a second or more. A hundredth
 * of the window, between 50 and 250 ms (the protection the reserve of a hundredth gave before, in time).
 */
export function edgeOf(pace: Pace): number {
  return Math.min(LONGEST_EDGE_MS, Math.max(SHORTEST_EDGE_MS, pace.windowMs / 100));
}

/**
 * The next turn for a call of `cost` units: when it may go, and the pace after it. Turns are handed out in order, so a
 * caller can wait for its time without asking again.
 */
export function takeTurn(pace: Pace, now: number, cost = 1): Turn {
  let at = Math.max(now, pace.nextAt, pace.pausedUntil);
  const even = (pace.windowMs * cost) / pace.limit;
  let gap = even;
  // A turn asked for after its time (a timer late, a queue that ran dry for a moment) keeps its place on the even grid:
  // the next may go that much sooner, so late turns are not lost for good, and no span holds more than one unit over
  // the even pace. Not after a gap or more (the lane was idle, not late), nor for the first turn, and only where the
  // gap is even: spread until a reset, the spread itself makes lateness up.
  const lateness = now - Math.max(pace.nextAt, pace.pausedUntil);
  let late = pace.taken > 0 && lateness > 0 && lateness <= even ? lateness : 0;
  // A window spent to its end: no turn before its reset, and a little past it (edgeOf); its last turn was spaced to go
  // at the reset.
  const past = pastSpentWindow(pace, at, cost, windowReserveOf(pace.limit));
  if (past > at) {
    at = past;
    late = 0;
  }
  const heard = heardAt(pace, at);
  if (heard !== null) {
    const reserve = heard.resetAt === null ? reserveOf(pace.limit) : windowReserveOf(pace.limit);
    const left = heard.remaining - (pace.taken - heard.ticket);
    if (left - cost < reserve) {
      late = 0;
      // Nothing to spare and no reset named (a window with one was waited past above): slow to a turn per even gap
      // for every unit short.
      if (pace.longestWindowMs === pace.windowMs) at = Math.max(at, pace.nextAt + even * (reserve + cost - left));
      else {
        // Nor the window (above): a call while no other is unanswered goes at its turn, and its answer tells (a
        // refill, or a 429 whose Retry-After pauses the lane until the window ends); one while others are still out
        // waits a turn of the longest window per unit short, so whatever the window, they cannot overrun it.
        if (pace.taken > heard.ticket) {
          gap = (pace.longestWindowMs * cost) / pace.limit;
          at = Math.max(at, pace.nextAt + gap * Math.max(1, reserve + cost - left - 1));
        }
      }
    } else if (heard.resetAt !== null) {
      late = 0;
      gap = ((heard.resetAt - at) * cost) / (left - reserve);
    }
  }
  const ticket = pace.taken + cost;
  return { pace: { ...pace, taken: ticket, nextAt: at - late + Math.max(0, gap) }, at, ticket };
}

/**
 * What an answer to the turn `ticket` said. An older turn's answer says less than the one already heard, unless it is
 * of a later window. A reset read in whole seconds is an upper bound: within one window the earliest one heard is kept.
 */
export function heedSignals(pace: Pace, signals: PaceSignals, ticket: number, now: number): Pace {
  const limit = signals.limit !== undefined && signals.limit > 0 ? signals.limit : pace.limit;
  if (signals.remaining === undefined) return { ...pace, limit };
  let resetAt = signals.resetAt ?? null;
  const previous = pace.heard;
  if (
    previous !== null &&
    resetAt !== null &&
    previous.resetAt !== null &&
    Math.abs(resetAt - previous.resetAt) < SAME_RESET_MS
  ) {
    resetAt = Math.min(resetAt, previous.resetAt);
  }
  const newWindow =
    resetAt !== null && (previous === null || previous.resetAt === null || resetAt > previous.resetAt + SAME_RESET_MS);
  if (!newWindow && previous !== null && ticket < previous.ticket) return { ...pace, limit };
  // More left than the last answer and the turns since leave: the budget refilled, though no reset was named.
  const refilled =
    resetAt === null && previous !== null && signals.remaining > previous.remaining - (ticket - previous.ticket);
  // A new window's first answer re-paces at once: the turn after a reset was spaced before anything was known of it.
  const nextAt = newWindow || refilled ? Math.min(pace.nextAt, now) : pace.nextAt;
  return { ...pace, limit, nextAt, heard: { remaining: signals.remaining, resetAt, ticket, at: now } };
}

/** A 429: no turn before its wait is over. */
export function heedRateLimited(pace: Pace, retryAfterMs: number | undefined, now: number): Pace {
  const until = now + Math.min(retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS, LONGEST_PAUSE_MS);
  return { ...pace, pausedUntil: Math.max(pace.pausedUntil, until) };
}

/**
 * When the next call of `cost` may go, for a caller that spends a budget as fast as it is answered, one call at a time,
 * down to `reserve` units it leaves to others (a GitHub backfill, which leaves the webhook path its share of the
 * installation's hour): at once while the last answer, less the turns since, leaves room over the reserve; else a little
 * past the reset (edgeOf), at most LONGEST_PAUSE_MS on. At once when nothing was heard, or no reset named.
 */
export function freeAt(pace: Pace, now: number, reserve: number, cost = 1): number {
  return Math.min(pastSpentWindow(pace, now, cost, reserve), now + LONGEST_PAUSE_MS);
}

/** Until when the helpdesk said to wait (a 429, or nothing left before its reset); `now` or earlier when it did not. */
export function waitUntil(pace: Pace, now: number): number {
  const heard = heardAt(pace, now);
  const exhausted = heard !== null && heard.resetAt !== null && spent(pace, heard, 1);
  return Math.min(now + LONGEST_PAUSE_MS, Math.max(pace.pausedUntil, exhausted ? heard.resetAt! : 0));
}

/** The announced (or default) rate, for how much work to claim ahead. */
export function unitsPerSecond(pace: Pace): number {
  return (pace.limit * 1000) / pace.windowMs;
}

/** What the answer heard leaves of its window, less the turns since, has no room for `cost` more units over `reserve`. */
function spent(pace: Pace, heard: Heard, cost: number, reserve = windowReserveOf(pace.limit)): boolean {
  return heard.remaining - (pace.taken - heard.ticket) - cost < reserve;
}

/**
 * `at`, or when the last answer's window has no room for `cost` more units over `reserve`: a little past its reset
 * (edgeOf), the first time such a call may go.
 */
function pastSpentWindow(pace: Pace, at: number, cost: number, reserve: number): number {
  const heard = pace.heard;
  if (heard?.resetAt == null || at >= heard.resetAt + edgeOf(pace) || !spent(pace, heard, cost, reserve)) return at;
  return heard.resetAt + edgeOf(pace);
}

/** The last answer, while it still speaks for the window `at` is in: before its reset, or within a window of it. */
function heardAt(pace: Pace, at: number): Heard | null {
  const heard = pace.heard;
  if (heard === null) return null;
  if (heard.resetAt !== null) return at < heard.resetAt ? heard : null;
  return at - heard.at < pace.longestWindowMs ? heard : null;
}
