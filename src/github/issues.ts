import type { ProbotOctokit } from "probot";
import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import { githubStatus } from "./errors.js";

/**
 * What GitHub says of an issue closeloop has not stored (https://docs.github.com/en/rest/issues/issues#get-an-issue):
 * the issue; `missing` (404, or 410 when issues are off or it was deleted); a pull request, which the same endpoint
 * answers for; or `moved`: GitHub follows a transferred issue to its new repository, and a link belongs where the
 * issue is now, so an answer from elsewhere is not taken as the issue asked for.
 */
export type IssueRead =
  | { kind: "issue"; issue: IssueRef }
  | { kind: "missing"; status: 404 | 410 }
  | { kind: "pull-request" }
  | { kind: "moved"; repositoryUrl: string; number: number };

/** Reads one issue with the installation's token; any other failure than 404 or 410 is thrown for the caller's retry. */
export async function readIssue(octokit: ProbotOctokit, repository: RepositoryRef, number: number): Promise<IssueRead> {
  let data: Awaited<ReturnType<typeof octokit.rest.issues.get>>["data"];
  try {
    ({ data } = await octokit.rest.issues.get({
      owner: repository.owner,
      repo: repository.name,
      issue_number: number,
    }));
  } catch (error) {
    const status = githubStatus(error);
    if (status === 404 || status === 410) return { kind: "missing", status };
    throw error;
  }
  if (data.pull_request !== undefined && data.pull_request !== null) return { kind: "pull-request" };
  if (
    data.number !== number ||
    !data.repository_url.toLowerCase().endsWith(`/repos/${repository.owner}/${repository.name}`.toLowerCase())
  )
    return { kind: "moved", repositoryUrl: data.repository_url, number: data.number };
  return { kind: "issue", issue: issueRef(repository, data) };
}

/** An issue as GitHub's REST API shows it, named as closeloop names issues. */
export function issueRef(
  repository: RepositoryRef,
  data: {
    id: number;
    node_id?: string;
    number: number;
    state: string;
    title: string;
    created_at: string;
    updated_at: string;
  },
): IssueRef {
  return {
    repository,
    number: data.number,
    githubId: BigInt(data.id),
    ...(data.node_id && { nodeId: data.node_id }),
    state: data.state === "closed" ? "closed" : "open",
    details: { title: data.title, openedAt: new Date(data.created_at), at: new Date(data.updated_at) },
  };
}
