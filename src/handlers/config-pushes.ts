import type { Context } from "probot";
import { CONFIG_PATH } from "../config/repo-config.js";
import type { HandlerDeps } from "./deps.js";

/** `push`: a change to `.github/closeloop.yml` on the default branch drops the cached config. */
export async function onPush(deps: HandlerDeps, context: Context<"push">): Promise<void> {
  const { payload } = context;
  if (payload.ref !== `refs/heads/${payload.repository.default_branch}`) return;
  const touched = payload.commits.some((commit) => [commit.added, commit.modified, commit.removed].some((paths) => paths?.includes(CONFIG_PATH)));
  if (!touched) return;
  const [owner = "", repo = ""] = payload.repository.full_name.split("/");
  deps.configs.invalidate(owner, repo);
  context.log.info(`${payload.repository.full_name}: ${CONFIG_PATH} changed; config reloaded on next use`);
}
