import type { ProbotOctokit } from "probot";
import { githubStatus } from "./errors.js";

type IssueListing = Awaited<ReturnType<ProbotOctokit["rest"]["issues"]["listForRepo"]>>["data"];

/**
 * One page of a repository's issues, oldest first (https://docs.github.com/en/rest/issues/issues#list-repository-issues;
 * pull requests come too and are the caller's to skip). `refused`: GitHub does not let the app read them (403, or 404
 * and 410 for a repository gone or with issues off); any other failure is thrown for the caller's retry.
 */
export async function listIssuesPage(
  octokit: ProbotOctokit,
  repository: { owner: string; name: string },
  page: { state: "open" | "closed"; number: number; perPage: number; since?: Date },
): Promise<{ issues: IssueListing } | { refused: 403 | 404 | 410 }> {
  try {
    const { data } = await octokit.rest.issues.listForRepo({
      owner: repository.owner,
      repo: repository.name,
      state: page.state,
      sort: "created",
      direction: "asc",
      per_page: page.perPage,
      page: page.number,
      ...(page.since === undefined ? {} : { since: page.since.toISOString() }),
    });
    return { issues: data };
  } catch (error) {
    const status = githubStatus(error);
    if (status === 403 || status === 404 || status === 410) return { refused: status };
    throw error;
  }
}

/** Every comment of an issue, all pages (https://docs.github.com/en/rest/issues/comments#list-issue-comments). */
export function listIssueComments(
  octokit: ProbotOctokit,
  repository: { owner: string; name: string },
  issueNumber: number,
  perPage = 100,
) {
  return octokit.paginate(octokit.rest.issues.listComments, {
    owner: repository.owner,
    repo: repository.name,
    issue_number: issueNumber,
    per_page: perPage,
  });
}
