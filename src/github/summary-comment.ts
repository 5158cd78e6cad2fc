import type { ProbotOctokit } from "probot";
import { githubStatus } from "./errors.js";

/**
 * Edits closeloop's summary comment on an issue, or posts it; returns the comment's id
 * (https://docs.github.com/en/rest/issues/comments). `commentId` is the one closeloop recorded posting, edited without
 * looking; when there is none, `earlier` (a previous attempt may have posted and died before recording it) finds this
 * app's comment that starts with the marker rather than post twice. A recorded comment someone deleted (404) is
 * written anew.
 */
export async function writeSummaryComment(
  octokit: ProbotOctokit,
  issue: { owner: string; repo: string; number: number },
  body: string,
  { commentId, earlier }: { commentId: bigint | null; earlier?: { marker: string; appId: number } },
): Promise<bigint> {
  const where = { owner: issue.owner, repo: issue.repo };
  let id = commentId;
  if (id === null && earlier !== undefined) id = await findAppComment(octokit, issue, earlier.marker, earlier.appId);
  if (id !== null) {
    try {
      await octokit.rest.issues.updateComment({ ...where, comment_id: Number(id), body });
      return id;
    } catch (error) {
      if (githubStatus(error) !== 404) throw error;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ ...where, issue_number: issue.number, body });
  return BigInt(data.id);
}

/**
 * This app's comment starting with `marker`. Anyone can type the marker into a comment; only GitHub sets
 * `performed_via_github_app`, so a copy cannot make closeloop edit (or adopt) a stranger's comment, nor skip posting
 * its own.
 */
async function findAppComment(
  octokit: ProbotOctokit,
  issue: { owner: string; repo: string; number: number },
  marker: string,
  appId: number,
): Promise<bigint | null> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.number,
    per_page: 100,
  });
  const found = comments.find(
    (comment) => comment.performed_via_github_app?.id === appId && comment.body?.startsWith(marker),
  );
  return found === undefined ? null : BigInt(found.id);
}
