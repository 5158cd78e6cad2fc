import type { Probot } from "probot";
import { repositoryRole, type RepositoryRole } from "../domain/trust.js";
import { githubStatus } from "./errors.js";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

/** A repository and the person (or app) whose role on it is asked for. */
export interface PermissionQuestion {
  repository: { id: bigint; owner: string; name: string };
  login: string;
}

/**
 * People's roles on repositories, from GitHub's collaborator permission API
 * (`GET /repos/{owner}/{repo}/collaborators/{username}/permission`, allowed with the `metadata: read` every GitHub
 * App has), cached briefly per repository and login so a burst of closes costs one call. GitHub answers 404 for a
 * login it does not know as a collaborator (an app's bot account among them): that is no permission, and cached like
 * one. Any other failure is thrown, so the delivery is retried rather than the close taken for one without permission.
 */
export class RepositoryPermissions {
  readonly #entries = new Map<string, { role: RepositoryRole | "none"; at: number }>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async role(octokit: Octokit, question: PermissionQuestion): Promise<RepositoryRole | "none"> {
    const key = `${question.repository.id}:${question.login.toLowerCase()}`;
    const cached = this.#entries.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.role;
    let role: RepositoryRole | "none";
    try {
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
        owner: question.repository.owner,
        repo: question.repository.name,
        username: question.login,
      });
      role = repositoryRole(data);
    } catch (error) {
      if (githubStatus(error) !== 404) throw error;
      role = "none";
    }
    this.#entries.set(key, { role, at: this.now() });
    return role;
  }
}
