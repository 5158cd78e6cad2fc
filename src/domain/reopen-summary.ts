import { PROVIDERS } from "./link.js";

/** One settled job as the summary comment shows it: what GitHub may see, and nothing about the customer. */
export interface SummaryJob {
  id: number;
  provider: string;
  conversationId: string;
  url: string;
  state: "done" | "dead";
  /** the failure's reason, for a dead job */
  reason: string | null;
}

export interface SummaryInput {
  closeId: number;
  /** the issue's state_reason */
  reason: string;
  jobs: readonly SummaryJob[];
  /** display names by provider id */
  names: Readonly<Record<string, string>>;
}

/** More failures than this are counted, not listed: a comment must stay readable (and under GitHub's 65,536 chars). */
export const LISTED_FAILURES = 50;
const REASON_LENGTH = 200;

/** The marker that lets a retry find a summary it posted but could not record (it ends the first line). */
export function summaryMarker(closeId: number): string {
  return `<!-- closeloop:reopen-summary close=${closeId} -->`;
}

/**
 * The summary comment of one close (docs/reopen.md, Summary comment): counts per helpdesk and each failure's conversation id and reason.
 * Reasons come from helpdesk error messages, so they are masked (email addresses), flattened and set in code spans,
 * which keeps them from mentioning people, linking issues or breaking the comment's markdown.
 */
export function renderReopenSummary(input: SummaryInput): string {
  const order = (provider: string) => {
    const index = (PROVIDERS as readonly string[]).indexOf(provider);
    return index === -1 ? PROVIDERS.length : index;
  };
  const providers = [...new Set(input.jobs.map((job) => job.provider))].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const name = (provider: string) => input.names[provider] ?? provider;
  const failures = input.jobs.filter((job) => job.state === "dead").sort((a, b) => order(a.provider) - order(b.provider) || a.id - b.id);
  const reopened = input.jobs.length - failures.length;

  const lines = [
    summaryMarker(input.closeId),
    `**closeloop** reopened ${reopened} of ${input.jobs.length} linked conversation${input.jobs.length === 1 ? "" : "s"} ` +
      `with an internal note, because this issue was closed as ${input.reason.replace(/_/g, " ")}.`,
    "",
    "| Helpdesk | Reopened | Failed |",
    "|---|---:|---:|",
    ...providers.map((provider) => {
      const jobs = input.jobs.filter((job) => job.provider === provider);
      const failed = jobs.filter((job) => job.state === "dead").length;
      return `| ${name(provider)} | ${jobs.length - failed} | ${failed} |`;
    }),
  ];
  if (failures.length > 0) {
    lines.push("", "**Not reopened**");
    for (const job of failures.slice(0, LISTED_FAILURES)) {
      lines.push(`- ${name(job.provider)} conversation [${job.conversationId}](${job.url}): ${codeSpan(maskReason(job.reason ?? "unknown error"))} (job ${job.id})`);
    }
    if (failures.length > LISTED_FAILURES) {
      lines.push(`- …and ${failures.length - LISTED_FAILURES} more: \`npx closeloop jobs --state dead\``);
    }
    lines.push("", "Fix the cause, then `npx closeloop retry <job id>` (or `--dead` for all); this comment is updated.");
  }
  return `${lines.join("\n")}\n`;
}

/** Email addresses masked, whitespace flattened, clipped. */
export function maskReason(reason: string): string {
  const flat = reason
    .replace(/[^\s@<>()[\]"'`,;:]+@[^\s@<>()[\]"'`,;:]+\.[a-z]{2,}/gi, "[email]")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length <= REASON_LENGTH ? flat : `${flat.slice(0, REASON_LENGTH)}…`;
}

function codeSpan(text: string): string {
  // A code span cannot hold its own delimiter without a longer fence; the reason does not need backticks.
  return `\`${text.replace(/`/g, "'")}\``;
}
