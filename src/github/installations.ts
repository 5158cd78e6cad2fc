import type { Probot } from "probot";
import type { RepositoryRef } from "../domain/refs.js";
import { githubStatus } from "./errors.js";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

/** GitHub as the app reaches it: the app itself (its JWT: Probot's auth() without an id) and each installation. */
export interface GithubApp {
  app: () => Promise<Octokit>;
  installation: (installationId: number) => Promise<Octokit>;
}

/**
 * A repository closeloop has not stored: GitHub says whether the app is installed on it
 * (https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app, with the app's
 * JWT), then its id and name as they are now (Get a repository, with that installation's token). Null when the app is
 * not installed there, or cannot see it (404).
 */
export async function findInstalledRepository(
  github: GithubApp,
  owner: string,
  name: string,
): Promise<RepositoryRef | null> {
  const installationId = await repositoryInstallation(github.app, owner, name);
  if (installationId === null) return null;
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
 * The id of the app's installation that includes `owner/name` (GitHub's "Get a repository installation for the
 * authenticated app", with the app's JWT), or null when none does: the app is not installed there, or its installation
 * leaves the repository out (404). Any other failure is thrown, for the caller to retry.
 */
export async function repositoryInstallation(
  app: GithubApp["app"],
  owner: string,
  name: string,
): Promise<number | null> {
  try {
    const octokit = await app();
    return (await octokit.rest.apps.getRepoInstallation({ owner, repo: name })).data.id;
  } catch (error) {
    if (githubStatus(error) === 404) return null;
    throw error;
  }
}

/** Every repository of every installation of the app, a page of 100 at a time. */
export async function listInstalledRepositories(github: GithubApp): Promise<RepositoryRef[]> {
  const app = await github.app();
  const installations = await app.paginate(app.rest.apps.listInstallations, { per_page: 100 });
  const repositories: RepositoryRef[] = [];
  for (const installation of installations) {
    const octokit = await github.installation(installation.id);
    const listed = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    for (const repository of listed) {
      repositories.push({
        id: BigInt(repository.id),
        installationId: BigInt(installation.id),
        owner: repository.owner.login,
        name: repository.name,
      });
    }
  }
  return repositories;
}
