import type { Context } from "probot";
import { captureText } from "./capture.js";
import { textAuthor } from "../domain/trust.js";
import type { HandlerDeps } from "./deps.js";
import { issueRef, repositoryRef } from "./payload-refs.js";

/** `issue_comment.*`: every comment is a source of links. Pull requests and this app's own comments are not read. */
export async function onIssueComment(
  deps: HandlerDeps,
  context: Context<"issue_comment.created" | "issue_comment.edited" | "issue_comment.deleted">,
): Promise<void> {
  const { comment, issue, action } = context.payload;
  if (issue.pull_request) return;
  if (comment.performed_via_github_app?.id === deps.appId) return;
  const repository = repositoryRef(context.payload.repository, context.payload.installation?.id);
  await captureText(deps, context, {
    issue: issueRef(repository, issue),
    source: { kind: "comment", key: String(comment.id) },
    // A delete has no time of its own in the payload; the issue's updated_at there is at least that of any close
    // before it (docs/ordering.md).
    event:
      action === "deleted"
        ? {
            action,
            version: new Date(comment.updated_at),
            at: new Date(Math.max(Date.parse(comment.updated_at), Date.parse(issue.updated_at))),
          }
        : { action, version: new Date(comment.updated_at) },
    text: comment.body ?? "",
    createdAt: new Date(comment.created_at),
    previousText: action === "edited" ? context.payload.changes.body?.from : undefined,
    // The comment's own author, whoever sent the event: GitHub lets only the author and maintainers edit a comment.
    author: textAuthor(comment),
    issueUrl: issue.html_url,
    issueTitle: issue.title,
  });
}
