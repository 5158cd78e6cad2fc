import { posix } from "node:path";
import type { Probot } from "probot";
import { parse } from "yaml";
import { githubStatus } from "./errors.js";
import type { ConfigReader } from "./repo-config-cache.js";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

/**
 * The owner's `.github/<file>`, which every repository of the owner without its own falls back to, kept for many
 * repositories: given the file's name and how to read it, its content (RepoConfigCache.ownerFile, bound to the owner).
 */
export type OwnerConfigFiles = (fileName: string, read: () => Promise<unknown>) => Promise<unknown>;

/**
 * A repository's `.github/<file>` read with an installation's Octokit as Probot's `context.config` reads it (the
 * repository's file, else the owner's `.github` repository's, `_extends` followed), for work that has no webhook
 * context: helpdesk events and backfills. With `ownerFiles`, a repository without a file of its own takes the owner's
 * from there, so reading many repositories of one owner (a backfill of an installation) reads the owner's file once
 * rather than once per repository.
 */
export function installationConfigReader(
  octokit: Octokit,
  owner: string,
  repo: string,
  ownerFiles?: OwnerConfigFiles,
): ConfigReader {
  const asProbotReads: ConfigReader = async (fileName) => {
    const { config, files } = await octokit.config.get({ owner, repo, path: posix.join(".github", fileName) });
    return files.some((file) => file.config !== null) ? config : null;
  };
  if (ownerFiles === undefined || repo.toLowerCase() === ".github") return asProbotReads;
  return async (fileName) => {
    const own = await readOwnFile(octokit, owner, repo, posix.join(".github", fileName));
    if (own === "absent")
      return ownerFiles(fileName, () => installationConfigReader(octokit, owner, ".github")(fileName));
    // A file that `_extends` another, or one Probot's reader refuses (a directory, YAML that is not an object), is
    // read again the way Probot reads it, so it gets the same merge and the same error: one more call, for a rare file.
    return own === "unusual" ? asProbotReads(fileName) : own;
  };
}

/**
 * The repository's own file, as @probot/octokit-plugin-config reads one (its raw content, YAML, an empty file is {}):
 * "absent" on GitHub's 404, "unusual" for what that reader would not return as it is.
 */
async function readOwnFile(
  octokit: Octokit,
  owner: string,
  repo: string,
  path: string,
): Promise<Record<string, unknown> | "absent" | "unusual"> {
  let response;
  try {
    response = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner,
      repo,
      path,
      mediaType: { format: "raw" },
    });
  } catch (error) {
    if (githubStatus(error) === 404) return "absent";
    throw error;
  }
  const { data, headers } = response as { data: unknown; headers: Record<string, unknown> };
  // GitHub answers JSON, not the raw file, for a directory or a submodule at that path.
  if (typeof data !== "string" || String(headers["content-type"]).startsWith("application/json")) return "unusual";
  let parsed: unknown;
  try {
    parsed = parse(data, { logLevel: "error" }) ?? {};
  } catch {
    return "unusual";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || "_extends" in parsed) return "unusual";
  return parsed as Record<string, unknown>;
}
