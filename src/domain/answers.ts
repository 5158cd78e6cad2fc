/**
 * Whether an agent answered a conversation a close reopened (docs/answers.md): pure rules for what the helpdesk's
 * activity means, when to look again, and how the outcome is told.
 */

export type AnswerOutcome = "answered" | "closed";

/** What a webhook or a read showed of a conversation: agents' public replies and, if it was closed, when. */
export interface ConversationActivity {
  /** times of public replies written by agents (never notes, never the customer's messages) */
  agentReplies: readonly Date[];
  /** the conversation was resolved, closed or archived at this time */
  closedAt: Date | null;
}

/** A watch as the rules see it. */
export interface WatchState {
  reopenedAt: Date;
  outcome: AnswerOutcome | null;
  outcomeAt: Date | null;
}

/**
 * The outcome the activity gives a watch, or null when it changes nothing. An agent's first public reply after the
 * reopen answers it; a close after the reopen with no reply before it is "closed without an answer". Deliveries come
 * in any order, so a reply older than a recorded close still wins, and an earlier reply replaces a later one.
 */
export function outcomeOf(
  watch: WatchState,
  activity: ConversationActivity,
): { outcome: AnswerOutcome; at: Date } | null {
  const after = (at: Date) => at.getTime() >= watch.reopenedAt.getTime();
  const replies = activity.agentReplies.filter(after).sort((a, b) => a.getTime() - b.getTime());
  const reply = replies[0];
  if (reply !== undefined) {
    if (watch.outcome === "answered" && watch.outcomeAt !== null && watch.outcomeAt <= reply) return null;
    if (watch.outcome === "closed" && watch.outcomeAt !== null && watch.outcomeAt < reply) return null;
    return { outcome: "answered", at: reply };
  }
  const closedAt = activity.closedAt;
  if (closedAt === null || !after(closedAt) || watch.outcome !== null) return null;
  return { outcome: "closed", at: closedAt };
}

/** When a conversation whose webhooks are not set up is read: about 1 h, 24 h and 72 h after the reopen. */
export const READ_AFTER_MS = [3_600_000, 24 * 3_600_000, 72 * 3_600_000] as const;

/** How many of the reads are due by `now` (a process that was down for days makes one read, not three). */
export function readsDue(reopenedAt: Date, now: Date): number {
  return READ_AFTER_MS.filter((after) => reopenedAt.getTime() + after <= now.getTime()).length;
}

/**
 * When the watch has work next, or null when it has none left: the next read (when closeloop reads this helpdesk),
 * and the reminder while it is not sent; nothing once the conversation is answered or closed.
 */
export function nextCheck(
  watch: WatchState & { reads: number; remindAt: Date | null; remindedAt: Date | null },
  options: { reads: boolean },
): Date | null {
  if (watch.outcome !== null) return null;
  const times: number[] = [];
  const nextRead = READ_AFTER_MS[watch.reads];
  if (options.reads && nextRead !== undefined) times.push(watch.reopenedAt.getTime() + nextRead);
  if (watch.remindAt !== null && watch.remindedAt === null) times.push(watch.remindAt.getTime());
  return times.length === 0 ? null : new Date(Math.min(...times));
}

/** "3 days", "5 hours", "40 minutes": how long ago, in the largest unit that reads naturally. */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (minutes < 120) return plural(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, "hour");
  return plural(Math.floor(hours / 24), "day");
}

/** The reminder note (internal, never to the customer). */
export function reminderNote(issueUrl: string, sinceClose: number): string {
  return `Still waiting: the fix for ${issueUrl} shipped ${formatAge(sinceClose)} ago. No agent has answered the customer since closeloop reopened this conversation.`;
}

/**
 * `reopen.remind_after`: "off", or a whole number of minutes, hours or days ("90m", "24h", "3d"). Seconds, or null
 * for off; a string it cannot read is an error message.
 */
export function parseRemindAfter(value: string): number | null | { error: string } {
  const text = value.trim().toLowerCase();
  if (text === "off") return null;
  const match = /^(\d{1,4})\s*(m|h|d)$/.exec(text);
  if (match === null) return { error: 'must be "off" or a duration such as "90m", "24h" or "3d"' };
  const seconds = Number(match[1]) * { m: 60, h: 3_600, d: 86_400 }[match[2] as "m" | "h" | "d"];
  if (seconds < 600) return { error: "must be at least 10 minutes" };
  if (seconds > 90 * 86_400) return { error: "must be at most 90 days" };
  return seconds;
}

export interface AnswerCounts {
  answered: number;
  waiting: number;
  closed: number;
}

/** Counts of a close's watched conversations by outcome. */
export function countAnswers(watches: readonly { outcome: string | null }[]): AnswerCounts {
  const counts = { answered: 0, waiting: 0, closed: 0 };
  for (const watch of watches) {
    if (watch.outcome === "answered") counts.answered += 1;
    else if (watch.outcome === "closed") counts.closed += 1;
    else counts.waiting += 1;
  }
  return counts;
}

/** The median of some durations, or null when there are none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The summary comment's line: counts only, nothing about any customer. */
export function answeredLine(counts: AnswerCounts): string {
  const total = counts.answered + counts.waiting + counts.closed;
  const closed = counts.closed === 0 ? "" : `; ${counts.closed} closed without an answer`;
  return `${counts.answered} of ${total} customer${total === 1 ? "" : "s"} answered${closed}.`;
}

/** A watched conversation as the views read it. */
export interface WatchedConversation {
  reopenedAt: Date;
  outcome: AnswerOutcome | null;
  outcomeAt: Date | null;
  reminded: boolean;
}

/**
 * Where one reopened conversation stands at `now`, for the issue page: answered or closed without an answer, that long
 * after the reopen; or waiting, for that long since the reopen. `reminded`: the reminder note was sent.
 */
export interface AnswerState {
  state: AnswerOutcome | "waiting";
  seconds: number;
  reminded: boolean;
}

/** Whole seconds from `from` to `to`, never negative (a helpdesk's clock a little behind ours). */
function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, Math.floor((to.getTime() - from.getTime()) / 1000));
}

export function answerState(watch: WatchedConversation, now: Date): AnswerState {
  if (watch.outcome === null || watch.outcomeAt === null)
    return { state: "waiting", seconds: secondsBetween(watch.reopenedAt, now), reminded: watch.reminded };
  return { state: watch.outcome, seconds: secondsBetween(watch.reopenedAt, watch.outcomeAt), reminded: watch.reminded };
}

/** A close's answers: the counts, the median time to answer, and who still waits, longest first. */
export interface CloseAnswers<T> {
  counts: AnswerCounts;
  /** median seconds from the reopen to the agent's answer, over the answered ones; null when none is */
  medianSeconds: number | null;
  waiting: (T & { waitingSeconds: number })[];
}

/**
 * The Closed view's figures, per close: each close's watched conversations counted by outcome, the median time to
 * answer of the answered ones (a close-without-answer is no answer, so it does not count), and the waiting ones with
 * how long, longest wait first (ties keep the given order). A close with no watch is left out.
 */
export function summariseAnswersByClose<T extends WatchedConversation & { closeId: number }>(
  watches: readonly T[],
  now: Date,
): Map<number, CloseAnswers<T>> {
  const byClose = new Map<number, T[]>();
  for (const watch of watches) {
    const list = byClose.get(watch.closeId);
    if (list) list.push(watch);
    else byClose.set(watch.closeId, [watch]);
  }
  const summaries = new Map<number, CloseAnswers<T>>();
  for (const [closeId, list] of byClose) {
    const answered = list.flatMap((watch) =>
      watch.outcome === "answered" && watch.outcomeAt !== null
        ? [secondsBetween(watch.reopenedAt, watch.outcomeAt)]
        : [],
    );
    const waiting = list
      .filter((watch) => watch.outcome === null)
      .map((watch) => ({ ...watch, waitingSeconds: secondsBetween(watch.reopenedAt, now) }))
      .sort((a, b) => b.waitingSeconds - a.waitingSeconds);
    summaries.set(closeId, { counts: countAnswers(list), medianSeconds: median(answered), waiting });
  }
  return summaries;
}
