import type { ProbotOctokit } from "probot";
import { CONFIG_PATH } from "../config/repo-config.js";

/**
 * `.github/closeloop.yml` as it is at one commit, read the way Probot's `context.config` reads it on the default
 * branch: the repository's file, else the owner's `.github` repository's, then whatever it `_extends`, merged the way
 * Probot merges them (deepmerge's defaults: objects key by key, arrays concatenated, later files win). Null when no
 * file exists. Used to validate a pushed commit for the `closeloop config` check run.
 */
export async function readConfigAt(
  octokit: ProbotOctokit,
  repository: { owner: string; repo: string },
  ref: string,
): Promise<unknown> {
  const { config, files } = await octokit.config.get({
    ...repository,
    path: CONFIG_PATH,
    branch: ref,
    defaults: (configs) => configs.reduce<Record<string, unknown>>((merged, next) => mergeDeep(merged, next), {}),
  });
  return files.some((file) => file.config !== null) ? config : null;
}

function mergeDeep(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const existing = merged[key];
    if (Array.isArray(existing) && Array.isArray(value)) merged[key] = [...existing, ...value];
    else if (isPlainObject(existing) && isPlainObject(value)) merged[key] = mergeDeep(existing, value);
    else merged[key] = value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
