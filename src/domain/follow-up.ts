/**
 * Conversations that can never be reopened (a `closed` Zendesk ticket): `reopen.closed_tickets` decides whether a
 * follow-up conversation carrying the note is created instead (docs/reopen.md, Closed tickets).
 */
export type ClosedTickets = "follow_up" | "skip";

/**
 * The follow-up's idempotency key, the same on every attempt of one job: Zendesk answers a repeated create with this
 * key (within its two hours) with the ticket it created, and the follow-up carries it as its `external_id`, so a
 * later attempt finds it among the source ticket's follow-ups. Ids of the close and the job make it unique per
 * database; the source ticket's id makes a key from another closeloop database on the same account differ too.
 */
export function followUpKey(job: { id: number; closeId: number; conversationId: string }): string {
  return `closeloop-reopen-${job.closeId}-${job.id}-${job.conversationId}`;
}

/** One comment of a conversation as a check for an already posted note reads it. */
export interface PostedComment {
  body?: string | null | undefined;
  /** false for an internal note */
  public?: boolean | null | undefined;
}

/**
 * Whether a note is already among the comments: an internal one with the same text, compared with runs of whitespace
 * made one space and the ends trimmed (what a helpdesk may normalise). Used after a call whose outcome is unknown
 * (a timeout, a 5xx, a crash), so the note is not posted a second time.
 */
export function noteLanded(comments: readonly PostedComment[], note: string): boolean {
  const wanted = normalise(note);
  return (
    wanted !== "" && comments.some((comment) => comment.public === false && normalise(comment.body ?? "") === wanted)
  );
}

function normalise(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
