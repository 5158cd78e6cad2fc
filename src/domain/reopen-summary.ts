import { answeredLine, type AnswerCounts } from "./answers.js";
import type { FailureCategory } from "./failure-category.js";
import { PROVIDERS } from "./link.js";

/** `comment.details`: whether the summary lists each failure's conversation and reason. */
export type SummaryDetails = "always" | "private" | "never";

/** One settled job as the summary comment shows it: what GitHub may see, and nothing about the customer. */
export interface SummaryJob {
  id: number;
  provider: string;
  conversationId: string;
  url: string;
  state: "done" | "dead";
  /** why a dead job failed, as a fixed category (never the helpdesk's text) */
  failure: FailureCategory | null;
  /** a done job reached its customer through a follow-up conversation (a closed Zendesk ticket); counted, never named */
  followUp?: boolean;
}

export interface SummaryInput {
  closeId: number;
  /** the state_reason */
  reason: string;
  jobs: readonly SummaryJob[];
  /** display names by provider id */
  names: Readonly<Record<string, string>>;
  /** list each failure's conversation and reason (showsDetails), or only count them */
  details: boolean;
  /** the reopened customers answered, waiting and closed without an answer (docs/answers.md): counts only */
  answers?: AnswerCounts | undefined;
}

/** More failures than this are counted, not listed: a comment must stay readable (and under GitHub's 65,536 chars). */
export const LISTED_FAILURES = 50;

/**
 * Whether a summary lists its failures: `comment.details` as recorded when the issue closed, and the repository's
 * visibility as last known when the summary is written (null: never stated, read as public). Deciding at write time
 * means a repository made public after the close gets counts from its next edit on; an unknown setting shows nothing.
 */
export function showsDetails(details: string, repositoryPrivate: boolean | null): boolean {
  return details === "always" || (details === "private" && repositoryPrivate === true);
}

/** The marker that lets a retry find a summary it posted but could not record (it ends the first line). */
export function summaryMarker(closeId: number): string {
  return `<!-- closeloop:reopen-summary close=${closeId} -->`;
}

/**
 * The summary comment of one close (docs/reopen.md, Summary comment): counts per helpdesk and, with `details`, each
 * failure's conversation id and the category of its failure. Categories are fixed strings (failure-category.ts), so
 * nothing a helpdesk wrote reaches GitHub; without `details` GitHub learns only the counts.
 */
export function renderReopenSummary(input: SummaryInput): string {
  const order = (provider: string) => {
    const index = (PROVIDERS as readonly string[]).indexOf(provider);
    return index === -1 ? PROVIDERS.length : index;
  };
  const providers = [...new Set(input.jobs.map((job) => job.provider))].sort(
    (a, b) => order(a) - order(b) || a.localeCompare(b),
  );
  const name = (provider: string) => input.names[provider] ?? provider;
  const failures = input.jobs
    .filter((job) => job.state === "dead")
    .sort((a, b) => order(a.provider) - order(b.provider) || a.id - b.id);
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
      const followUps = jobs.filter((job) => job.state === "done" && job.followUp === true).length;
      const reopenedCell =
        followUps === 0
          ? String(jobs.length - failed)
          : `${jobs.length - failed} (${followUps} as ${followUps === 1 ? "a follow-up ticket" : "follow-up tickets"})`;
      return `| ${name(provider)} | ${reopenedCell} | ${failed} |`;
    }),
  ];
  const answers = input.answers;
  // Said once something is known, so a summary written at the reopen is not "0 of N"; edited as answers arrive.
  if (answers !== undefined && answers.answered + answers.closed > 0) lines.push("", answeredLine(answers));
  if (failures.length > 0 && input.details) {
    lines.push("", "**Not reopened**");
    for (const job of failures.slice(0, LISTED_FAILURES)) {
      lines.push(
        `- ${name(job.provider)} conversation [${job.conversationId}](${job.url}): ${job.failure ?? "failed"} (job ${job.id})`,
      );
    }
    if (failures.length > LISTED_FAILURES) {
      lines.push(`- …and ${failures.length - LISTED_FAILURES} more: \`closeloop jobs --state dead\``);
    }
    lines.push("", "Fix the cause, then `closeloop retry <job id>` (or `--dead` for all); this comment is updated.");
  } else if (failures.length > 0) {
    lines.push(
      "",
      "The conversations not reopened and why are listed by `closeloop jobs --state dead`. Fix the cause, then " +
        "`closeloop retry --dead`; this comment is updated.",
    );
  }
  return `${lines.join("\n")}\n`;
}
