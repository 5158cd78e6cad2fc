import { installationConfigReader } from "../github/installation-config.js";
import type { RepoConfigCache } from "../github/repo-config-cache.js";
import type { RepositoryRef } from "../domain/refs.js";
import type { ReopenRules } from "../domain/reopen-outlook.js";
import type { SidebarGithub } from "../github/sidebar-issues.js";

/**
 * A repository's `reopen.on` and `reopen.by`, read as the close handler reads them: through the server's config cache
 * (the last valid config while the file is invalid, the defaults when GitHub cannot be asked), with the installation's
 * token, so the panel says what a close will really do.
 */
export function reopenRulesReader(
  configs: RepoConfigCache,
  github: SidebarGithub,
): (repository: RepositoryRef) => Promise<ReopenRules> {
  return async (repository) => {
    const config = await configs.get(repository, async (file) => {
      const octokit = await github.installation(Number(repository.installationId));
      return installationConfigReader(octokit, repository.owner, repository.name)(file);
    });
    return { on: config.reopen.on, by: config.reopen.by };
  };
}
