import type { Context } from "probot";
import type { ProviderId } from "../domain/link.js";
import { linkKey } from "../domain/mentions.js";
import type { IssueRef } from "../domain/refs.js";
import { findCanonicalIssue } from "../github/duplicates.js";
import { duplicateSourceKey, findDuplicateSources } from "../store/duplicates.js";
import { findIssueTarget } from "../store/issue-targets.js";
import { listIssueLinks } from "../store/links.js";
import { applySourceChange } from "./source-changes.js";
import type { HandlerDeps } from "./deps.js";
import { describeIssue } from "./payload-refs.js";
import { senderRefusal } from "./sender-permission.js";

/**
 * An issue closed as a duplicate (`state_reason: duplicate`) hands its linked conversations to the issue it
 * duplicates, so those customers are reopened when the real fix closes (README, Engineers). Each link keeps its
 * report date there. It takes the closer's `reopen.by` permission, as a reopen does (a stranger closing their own
 * issue as a duplicate moves nothing), one GraphQL call to learn the target, and an issue closeloop knows in the same
 * installation. Safe to run again for a redelivery: the sources are keyed by duplicate and conversation.
 */
export async function carryLinksToCanonical(
  deps: HandlerDeps,
  context: Context<"issues.closed">,
  duplicate: IssueRef,
): Promise<void> {
  const where = describeIssue(duplicate);
  const { repository } = context.payload;
  const links = await listIssueLinks(deps.prisma, repository.full_name, duplicate.number);
  // Links it carries only because another duplicate was closed into it move too; nothing else needs a call.
  if (!links || links.length === 0) return;
  const config = await deps.configs.get(duplicate.repository, (file) => context.config(file));
  const refusal = await senderRefusal(deps, context, duplicate, config.reopen.by);
  if (refusal !== null) {
    context.log.info(`${where} closed as a duplicate: ${refusal}; its ${links.length} link(s) stay on it`);
    return;
  }
  const canonical = await findCanonicalIssue(context.octokit, duplicate.repository, duplicate.number);
  if (canonical === null) {
    context.log.info(
      `${where} closed as a duplicate without naming an issue it duplicates; its ${links.length} link(s) stay on it and nothing is reopened`,
    );
    return;
  }
  const named = `${canonical.repository}#${canonical.number}`;
  const target = await findIssueTarget(deps.prisma, canonical.repository.toLowerCase(), canonical.number);
  if (target === null || target.repository.installationId !== duplicate.repository.installationId) {
    context.log.info(`${where} is a duplicate of ${named}, in no repository of this installation; its links stay`);
    return;
  }
  const into: IssueRef = {
    repository: target.repository,
    number: canonical.number,
    githubId: canonical.githubId,
    nodeId: canonical.nodeId || undefined,
    state: canonical.state,
  };
  let added = 0;
  let reopens = 0;
  for (const link of links) {
    const outcome = await applySourceChange(deps, {
      issue: into,
      source: {
        kind: "duplicate",
        key: duplicateSourceKey({ repositoryId: duplicate.repository.id, number: duplicate.number }, linkKey(link)),
      },
      // Dated by the report, not by the close: the frequency and the impact ranking count it when it came in.
      event: { action: "created", version: link.linkedAt },
      createdAt: link.linkedAt,
      links: [
        {
          provider: link.provider as ProviderId,
          account: link.account,
          conversationId: link.conversationId,
          url: link.url,
          ...(link.fromAddressBar && { fromAddressBar: true as const }),
        },
      ],
      maxLinks: config.links.max_per_issue,
    });
    added += outcome.added;
    reopens += outcome.jobsAdded;
  }
  context.log.info(
    { moved: links.length, added, reopens },
    `${where} closed as a duplicate of ${named}: its ${links.length} linked conversation(s) now follow ${named} (${added} new there)`,
  );
  if (reopens > 0) deps.reopenQueued?.();
  if (added > 0) await deps.labelsWanted?.();
}

/**
 * A duplicate reopened (by someone with `reopen.by`) takes its links back from the issue it was closed into: the
 * sources end at the reopen, so a close of that issue after it no longer reopens them, and one before it still did.
 */
export async function releaseDuplicateLinks(
  deps: HandlerDeps,
  context: Context<"issues.reopened">,
  duplicate: IssueRef,
  at: Date,
): Promise<void> {
  const sources = await findDuplicateSources(deps.prisma, {
    repositoryId: duplicate.repository.id,
    number: duplicate.number,
  });
  if (sources.length === 0) return;
  const config = await deps.configs.get(duplicate.repository, (file) => context.config(file));
  const refusal = await senderRefusal(deps, context, duplicate, config.reopen.by);
  if (refusal !== null) {
    context.log.info(`${describeIssue(duplicate)}: ${refusal}; its links stay with the issue it duplicates`);
    return;
  }
  let removed = 0;
  for (const source of sources) {
    const outcome = await applySourceChange(deps, {
      issue: source.issue,
      source: { kind: "duplicate", key: source.key },
      event: { action: "deleted", at },
      createdAt: at,
      links: [],
    });
    removed += outcome.removed;
  }
  context.log.info(
    { removed },
    `${describeIssue(duplicate)} reopened: the ${sources.length} link(s) it carried to the issue it duplicates are taken back (${removed} removed there)`,
  );
  if (removed > 0) await deps.labelsWanted?.();
}
