import type { Probot } from "probot";
import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import { githubStatus } from "./errors.js";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

/** What the sidebar asks of GitHub: the app's own Octokit (JWT) and an installation's. */
export interface SidebarGithub {
  /** the app itself (Probot's app.auth() without an id): which installation a repository belongs to */
  app: () => Promise<Octokit>;
  installation: (installationId: number) => Promise<Octokit>;
}

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

/**
 * A repository closeloop has not stored yet: GitHub says whether the app is installed on it
 * (https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app, with the app's
 * JWT), then its id (Get a repository, with that installation's token). Not installed: refused, with the reason.
 */
export async function findInstalledRepository(
  github: SidebarGithub,
  owner: string,
  name: string,
): Promise<RepositoryRef> {
  let installationId: number;
  try {
    const app = await github.app();
    ({
      data: { id: installationId },
    } = await app.rest.apps.getRepoInstallation({ owner, repo: name }));
  } catch (error) {
    if (githubStatus(error) === 404)
      throw new SidebarGithubError(
        403,
        `closeloop is not installed on ${owner}/${name}: install the GitHub App on that repository to link its issues`,
      );
    throw error;
  }
  const octokit = await github.installation(installationId);
  const { data } = await octokit.rest.repos.get({ owner, repo: name });
  return {
    id: BigInt(data.id),
    installationId: BigInt(installationId),
    owner: data.owner.login,
    name: data.name,
    private: data.private,
  };
}

/**
 * An issue closeloop has not stored: read from GitHub with the installation's token. A pull request, a missing issue
 * or one that moved away is refused with what it is.
 */
export async function readIssue(github: SidebarGithub, repository: RepositoryRef, number: number): Promise<IssueRef> {
  const octokit = await github.installation(Number(repository.installationId));
  const named = `${repository.owner}/${repository.name}#${number}`;
  let data: Awaited<ReturnType<typeof octokit.rest.issues.get>>["data"];
  try {
    ({ data } = await octokit.rest.issues.get({
      owner: repository.owner,
      repo: repository.name,
      issue_number: number,
    }));
  } catch (error) {
    const status = githubStatus(error);
    if (status === 404 || status === 410) throw new SidebarGithubError(404, `GitHub has no issue ${named}`);
    throw error;
  }
  if (data.pull_request) throw new SidebarGithubError(409, `${named} is a pull request, not an issue`);
  if (
    data.number !== number ||
    !data.repository_url.toLowerCase().endsWith(`/repos/${repository.owner}/${repository.name}`.toLowerCase())
  )
    throw new SidebarGithubError(409, `${named} has moved; link it where it is now`);
  return issueRef(repository, data);
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

function issueRef(
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
