import type { ProbotOctokit } from "probot";
import { githubRefused, githubStatus } from "./errors.js";

type IssueListing = Awaited<ReturnType<ProbotOctokit["rest"]["issues"]["listForRepo"]>>["data"];
type CommentListing = Awaited<ReturnType<ProbotOctokit["rest"]["issues"]["listCommentsForRepo"]>>["data"];

/** GitHub says the app cannot read the repository's issues: 403 (not a rate limit), or 404 and 410 (gone, issues off). */
export type ListingRefused = { refused: 403 | 404 | 410 };

/**
 * One page of a repository's issues, oldest first (https://docs.github.com/en/rest/issues/issues#list-repository-issues;
 * pull requests come too and are the caller's to skip). `next`: GitHub's `Link` header names a next page, so a listing
 * whose last page is full costs no empty page. `refused`: GitHub does not let the app read them; any other failure is
 * thrown for the caller's retry.
 */
export async function listIssuesPage(
  octokit: ProbotOctokit,
  repository: { owner: string; name: string },
  page: { state: "open" | "closed"; number: number; perPage: number; since?: Date },
): Promise<{ issues: IssueListing; next: boolean } | ListingRefused> {
  return refusedAsValue(async () => {
    const { data, headers } = await octokit.rest.issues.listForRepo({
      owner: repository.owner,
      repo: repository.name,
      state: page.state,
      sort: "created",
      direction: "asc",
      per_page: page.perPage,
      page: page.number,
      ...(page.since === undefined ? {} : { since: page.since.toISOString() }),
    });
    return { issues: data, next: hasNextPage(headers.link) };
  });
}

/**
 * One page of every issue comment in a repository, oldest first
 * (https://docs.github.com/en/rest/issues/comments#list-issue-comments-for-a-repository): one listing for the whole
 * repository instead of one per issue. Each comment names its issue only by `issue_url`. `since` leaves out comments
 * last updated before it.
 */
export async function listRepositoryCommentsPage(
  octokit: ProbotOctokit,
  repository: { owner: string; name: string },
  page: { number: number; perPage: number; since?: Date },
): Promise<{ comments: CommentListing; next: boolean } | ListingRefused> {
  return refusedAsValue(async () => {
    const { data, headers } = await octokit.rest.issues.listCommentsForRepo({
      owner: repository.owner,
      repo: repository.name,
      sort: "created",
      direction: "asc",
      per_page: page.perPage,
      page: page.number,
      ...(page.since === undefined ? {} : { since: page.since.toISOString() }),
    });
    return { comments: data, next: hasNextPage(headers.link) };
  });
}

/** The issue number a comment's `issue_url` (`…/repos/{owner}/{repo}/issues/{number}`) names; null for another URL. */
export function commentIssueNumber(issueUrl: string): number | null {
  const number = /\/issues\/(\d+)$/.exec(issueUrl)?.[1];
  return number === undefined ? null : Number(number);
}

// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api: the `Link` header has a
// `rel="next"` URL while there are more pages.
function hasNextPage(link: string | undefined): boolean {
  return link !== undefined && /rel="next"/.test(link);
}

async function refusedAsValue<T>(list: () => Promise<T>): Promise<T | ListingRefused> {
  try {
    return await list();
  } catch (error) {
    const status = githubStatus(error);
    // A 403 that is a rate limit Probot's throttling gave up waiting out is retried, not taken for a refusal.
    if ((status === 403 && githubRefused(error)) || status === 404 || status === 410) return { refused: status };
    throw error;
  }
}
