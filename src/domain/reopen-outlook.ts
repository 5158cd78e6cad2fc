import type { RepositoryRole } from "./trust.js";

/** GitHub's close reasons (`state_reason`), as `reopen.on` names them. */
const CLOSE_REASONS = ["completed", "not_planned", "duplicate"] as const;

/** `reopen.on` and `reopen.by` of the issue's repository (`.github/closeloop.yml`). */
export interface ReopenRules {
  on: readonly string[];
  by: RepositoryRole;
}

/** What closeloop stored about the issue's latest close and this conversation's reopen job of it. */
export interface ReopenFacts {
  issueState: "open" | "closed";
  /** the latest close closeloop recorded; null when it saw none */
  close: { closedAt: Date; reason: string; reopen: boolean; refusal: string | null } | null;
  /** this conversation's reopen job of that close; null when the close made none for it */
  job: { state: string; lastError: string | null } | null;
}

/** Whether closing the issue will reopen the conversation, or what the close did: a state and the sentence a rep reads. */
export type ReopenOutlook =
  | { state: "on-close" | "never"; text: string }
  | { state: "done" | "pending" | "running" | "dead" | "none"; closedAt: Date; text: string };

const spoken = (reasons: readonly string[]) =>
  reasons.map((reason) => reason.replace(/_/g, " ")).join(reasons.length > 2 ? ", " : " or ");
const day = (at: Date) => at.toISOString().slice(0, 10);

/**
 * The sidebar's "will closing this issue reopen this conversation": for an open issue, from the repository's
 * `reopen.on` and `reopen.by` as the close handler applies them (src/handlers/issues.ts), and whether the helpdesk can
 * be reopened at all (its API credentials); for a closed one, what its latest close did for this conversation.
 */
export function reopenOutlook(
  facts: ReopenFacts,
  rules: ReopenRules,
  helpdesk: { name: string; canReopen: boolean },
): ReopenOutlook {
  const { close, job } = facts;
  if (facts.issueState === "closed") {
    if (!close)
      return {
        state: "never",
        text: "The issue closed before closeloop saw it close: this conversation was not reopened.",
      };
    const closedAt = close.closedAt;
    if (job?.state === "done")
      return { state: "done", closedAt, text: `Reopened this conversation when the issue closed (${day(closedAt)}).` };
    if (job?.state === "pending" || job?.state === "running")
      return { state: job.state, closedAt, text: `Reopening this conversation: the issue closed on ${day(closedAt)}.` };
    if (job?.state === "dead")
      return {
        state: "dead",
        closedAt,
        text: `Reopening this conversation failed: ${job.lastError ?? "no reason recorded"}.`,
      };
    const why =
      close.refusal ??
      (close.reopen
        ? "it was linked after the issue closed"
        : `the issue closed as ${spoken([close.reason])}, which reopen.on does not list`);
    return { state: "none", closedAt, text: `Not reopened: ${why}.` };
  }
  if (!helpdesk.canReopen)
    return {
      state: "never",
      text: `Closing this issue will not reopen this conversation: closeloop has no ${helpdesk.name} API credentials.`,
    };
  const reasons = CLOSE_REASONS.filter((reason) => rules.on.includes(reason));
  if (reasons.length === 0)
    return { state: "never", text: "Closing this issue will not reopen this conversation: reopen.on is empty." };
  const who = rules.by === "read" ? "" : `, if whoever closes it has ${rules.by} permission or more`;
  const others = CLOSE_REASONS.filter((reason) => !rules.on.includes(reason));
  const not = others.length > 0 ? ` Closing as ${spoken(others)} will not.` : "";
  return {
    state: "on-close",
    text: `Closing this issue as ${spoken(reasons)} will reopen this conversation${who}.${not}`,
  };
}
