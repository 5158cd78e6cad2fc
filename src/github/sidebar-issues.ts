import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import { githubStatus } from "./errors.js";
import { findInstalledRepository, type GithubApp } from "./installations.js";
import { issueRef, readIssue } from "./issues.js";

/** What the sidebar asks of GitHub: the app's own Octokit (JWT) and an installation's. */
export type SidebarGithub = GithubApp;

/** GitHub refused a sidebar request for a reason the rep can act on; `status` is what the sidebar's API answers. */
export class SidebarGithubError extends Error {
  override name = "SidebarGithubError";
  constructor(
    readonly status: 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** A repository closeloop has not stored yet, found through the app's installation on it; not installed: refused. */
export async function findSidebarRepository(
  github: SidebarGithub,
  owner: string,
  name: string,
): Promise<RepositoryRef> {
  const found = await findInstalledRepository(github, owner, name);
  if (found === null)
    throw new SidebarGithubError(
      403,
      `closeloop is not installed on ${owner}/${name}: install the GitHub App on that repository to link its issues`,
    );
  return found;
}

/**
 * An issue closeloop has not stored: read from GitHub with the installation's token. A pull request, a missing issue
 * or one that moved away is refused with what it is.
 */
export async function readSidebarIssue(
  github: SidebarGithub,
  repository: RepositoryRef,
  number: number,
): Promise<IssueRef> {
  const named = `${repository.owner}/${repository.name}#${number}`;
  const read = await readIssue(await github.installation(Number(repository.installationId)), repository, number);
  switch (read.kind) {
    case "issue":
      return read.issue;
    case "missing":
      throw new SidebarGithubError(404, `GitHub has no issue ${named}`);
    case "pull-request":
      throw new SidebarGithubError(409, `${named} is a pull request, not an issue`);
    case "moved":
      throw new SidebarGithubError(409, `${named} has moved; link it where it is now`);
  }
}

/** Creates the issue as the app (its bot account) and returns it as closeloop names issues. */
export async function createIssue(
  github: SidebarGithub,
  repository: RepositoryRef,
  issue: { title: string; body: string },
): Promise<IssueRef> {
  const octokit = await github.installation(Number(repository.installationId));
  try {
    const { data } = await octokit.rest.issues.create({
      owner: repository.owner,
      repo: repository.name,
      title: issue.title,
      body: issue.body,
    });
    return issueRef(repository, data);
  } catch (error) {
    const status = githubStatus(error);
    if (status === 403 || status === 404 || status === 410)
      throw new SidebarGithubError(
        403,
        `GitHub refused to create an issue in ${repository.owner}/${repository.name} (${status}): the app needs Issues: write there, and issues must be enabled`,
      );
    throw error;
  }
}
