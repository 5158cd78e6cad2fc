import { posix } from "node:path";
import type { Probot } from "probot";
import type { ConfigReader } from "./repo-config-cache.js";

/**
 * A repository's `.github/<file>` read with an installation's Octokit as Probot's `context.config` reads it (the
 * repository's file, else the owner's `.github` repository's, `_extends` followed), for work that has no webhook
 * context: helpdesk events and backfills.
 */
export function installationConfigReader(
  octokit: Awaited<ReturnType<Probot["auth"]>>,
  owner: string,
  repo: string,
): ConfigReader {
  return async (fileName) => {
    const { config, files } = await octokit.config.get({ owner, repo, path: posix.join(".github", fileName) });
    return files.some((file) => file.config !== null) ? config : null;
  };
}
