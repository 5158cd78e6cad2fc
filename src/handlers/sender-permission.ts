import type { Context } from "probot";
import type { HandlerDeps } from "./deps.js";
import type { IssueRef } from "../domain/refs.js";
import { roleAtLeast, type RepositoryRole } from "../domain/trust.js";

/**
 * Why the event's sender may not act on the linked conversations (reopen them, or move them to another issue), or
 * null when they may: they need `least` (`reopen.by`) on the repository. A failed lookup throws, so the delivery is
 * retried instead of being taken for one without permission.
 */
export async function senderRefusal(
  deps: HandlerDeps,
  context: Context<"issues.closed" | "issues.reopened">,
  ref: IssueRef,
  least: RepositoryRole,
): Promise<string | null> {
  // Anyone able to close an issue can read the repository: no need to ask.
  if (least === "read") return null;
  const { sender, repository } = context.payload;
  const verb = context.payload.action;
  if (!sender) return `${verb} by no one GitHub names, so no one with ${least} permission (reopen.by: ${least})`;
  // The owner of a personal repository is its admin; an organisation never closes an issue itself.
  const role =
    sender.id === repository.owner.id
      ? "admin"
      : await deps.permissions.role(context.octokit, { repository: ref.repository, login: sender.login });
  if (roleAtLeast(role, least)) return null;
  return `${verb} by ${sender.login}, whose permission on the repository is ${role}, less than reopen.by (${least})`;
}
