import { recogniseIssueUrls, type IssueReference } from "./recognise-issue-urls.js";

export interface IssueMention {
  issue: IssueReference;
  /** when the first message naming the issue was written: the link's date */
  at: Date;
}

/** A conversation note with 200 issue URLs is not a support rep linking: the first ones are kept. */
export const MAX_ISSUES_PER_EVENT = 50;

/**
 * The GitHub issues that helpdesk messages name, each once, dated by the earliest message that names it, in the order
 * the messages name them. Messages without a readable time are dated `fallback`.
 */
export function mentionedIssues(
  messages: readonly { text: string; at: string }[],
  githubHost: string,
  fallback: Date,
): { mentions: IssueMention[]; truncated: number } {
  const byIssue = new Map<string, IssueMention>();
  let truncated = 0;
  for (const message of messages) {
    const parsed = new Date(message.at);
    const at = Number.isNaN(parsed.getTime()) ? fallback : parsed;
    for (const issue of recogniseIssueUrls(message.text, githubHost)) {
      const identity = `${issue.owner}/${issue.repo}#${issue.number}`;
      const known = byIssue.get(identity);
      if (known) {
        if (at < known.at) known.at = at;
      } else if (byIssue.size < MAX_ISSUES_PER_EVENT) byIssue.set(identity, { issue, at });
      else truncated++;
    }
  }
  return { mentions: [...byIssue.values()], truncated };
}
