import type { Context } from "probot";
import type { SeenLabels } from "../store/issue-markings.js";
import { recordLabelEvent } from "../store/labels.js";
import type { HandlerDeps } from "./deps.js";
import { describeIssue, issueRef, repositoryRef } from "./payload-refs.js";

/**
 * The issue's labels as the event's payload shows them, true at its `issue.updated_at`: the markings job plans with them
 * (docs/labels.md, Applying), so applying labels costs no GitHub call when nothing changes.
 */
export function payloadLabels(payload: unknown): SeenLabels | undefined {
  const issue = (payload as { issue?: { labels?: unknown; updated_at?: unknown } }).issue;
  if (!Array.isArray(issue?.labels) || typeof issue.updated_at !== "string") return undefined;
  const labels = (issue.labels as unknown[]).flatMap((label) => {
    const name = typeof label === "string" ? label : (label as { name?: unknown } | null)?.name;
    return typeof name === "string" ? [name] : [];
  });
  return { labels, at: new Date(issue.updated_at) };
}

/**
 * `issues.labeled` / `issues.unlabeled`: a person removing a label stops closeloop from adding it to that issue
 * again until a person adds it back. Bots (closeloop included) do not suppress; their changes only keep closeloop's
 * view of the issue's labels current. No GitHub call.
 */
export async function onIssueLabel(
  deps: HandlerDeps,
  context: Context<"issues.labeled" | "issues.unlabeled">,
): Promise<void> {
  const { label, issue, sender, action } = context.payload;
  if (!label || issue.pull_request) return;
  const ref = issueRef(repositoryRef(context.payload.repository, context.payload.installation?.id), issue);
  if (action === "labeled") deps.memory.labels.learn(ref.repository.id, [label.name]);
  const byPerson = sender.type !== "Bot";
  const outcome = await recordLabelEvent(deps.prisma, {
    repositoryId: ref.repository.id,
    number: ref.number,
    name: label.name,
    present: action === "labeled",
    at: new Date(issue.updated_at),
    byPerson,
  });
  if (outcome === "suppressed")
    context.log.info(
      `${describeIssue(ref)}: ${sender.login} removed "${label.name}"; closeloop will not add it again until a person adds it back`,
    );
  else if (outcome === "released")
    context.log.info(`${describeIssue(ref)}: ${sender.login} added "${label.name}" back; closeloop manages it again`);
}
