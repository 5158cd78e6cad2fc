import type { Context } from "probot";
import { readConfigAt } from "../github/read-config-at.js";
import { describeConfigError } from "../github/repo-config-cache.js";
import { CONFIG_PATH, parseRepoConfig, type RepoConfig } from "../config/repo-config.js";
import { createCompletedCheck } from "../github/checks.js";
import { githubStatus } from "../github/errors.js";
import { recordConfigError } from "../store/config-errors.js";
import { markLabelsDue } from "../store/labels.js";
import { clearProjectError, readProjectError } from "../store/project-fields.js";
import type { HandlerDeps } from "./deps.js";
import { repositoryRef } from "./payload-refs.js";

export const CONFIG_CHECK_NAME = "closeloop config";

/** What of a push payload tells whether it changes the config: read from the stored delivery and by the inbox. */
interface PushFiles {
  ref: string;
  deleted?: boolean;
  forced?: boolean;
  repository?: { default_branch?: string };
  commits?: readonly CommitFiles[] | null;
  head_commit?: CommitFiles | null;
}

interface CommitFiles {
  added?: readonly string[] | null;
  modified?: readonly string[] | null;
  removed?: readonly string[] | null;
}

/**
 * Whether onPush acts on the push: to the default branch, not deleting it, and touching `.github/closeloop.yml` in a
 * commit it lists, or forced. A forced push lists only the commits new to the branch (none when it goes back to an
 * older commit), not those it took away, which may have changed the file: it costs one read of the file and a sweep
 * request, rarely. The inbox asks it too, so the pushes of every branch of every repository are answered without
 * being stored (src/app.ts).
 */
export function pushChangesConfig(payload: PushFiles): boolean {
  const branch = payload.repository?.default_branch;
  if (branch === undefined || payload.ref !== `refs/heads/${branch}` || payload.deleted) return false;
  if (payload.forced) return true;
  const commits = [...(payload.commits ?? []), ...(payload.head_commit ? [payload.head_commit] : [])];
  return commits.some((commit) =>
    [commit.added, commit.modified, commit.removed].some((paths) => paths?.includes(CONFIG_PATH)),
  );
}

/**
 * `push` to the default branch that touches `.github/closeloop.yml`, or forced (docs/labels.md): drops the cached config, validates the
 * file as it is at the pushed commit, reports the result as the `closeloop config` check run on that commit (failing
 * with the file, key and reason when invalid), and marks the repository's linked issues due for the label sweep.
 * The validated config becomes the cached one, so the next event needs no second read.
 */
export async function onPush(deps: HandlerDeps, context: Context<"push">): Promise<void> {
  const { payload } = context;
  if (!pushChangesConfig(payload)) return;
  const repository = repositoryRef(payload.repository, payload.installation?.id);
  const fullName = payload.repository.full_name;
  const sha = payload.after;
  deps.configs.invalidate(repository.owner, repository.name);
  const how = payload.forced ? "may have changed (forced push)" : "changed";
  context.log.info(`${fullName}: ${CONFIG_PATH} ${how} in ${sha.slice(0, 7)}; checking it`);

  let raw: unknown;
  let readError: unknown;
  await deps.configs.get(repository, async () => {
    try {
      return (raw = await readConfigAt(context.octokit, { owner: repository.owner, repo: repository.name }, sha));
    } catch (error) {
      readError = error;
      throw error;
    }
  });
  // GitHub did not answer: let the inbox retry the delivery rather than report a check we could not make.
  if (githubStatus(readError) !== undefined) throw readError;
  const { problem, config } = validate(readError, raw);

  const everyRepository = repository.name.toLowerCase() === ".github";
  await markLabelsDue(
    deps.prisma,
    everyRepository ? { owner: repository.owner } : { repositoryId: repository.id },
    new Date(),
  );
  await deps.sweepRequested?.();
  // The cache recorded (or cleared) the error as it read the file; this names the commit that introduced it.
  if (problem)
    await recordConfigError(deps, repository, {
      path: CONFIG_PATH,
      message: problem,
      commitSha: sha,
      seenAt: new Date(),
    });
  // A forced push lists no files, so it is read in case it changed the file: with no file at its commit there is nothing
  // to report on it (a plain push that removed the file is reported, as passing).
  if (payload.forced && raw === null && readError === undefined) return;
  await reportCheck(deps, context, sha, problem, config && (await projectProblem(deps, repository.id, config)));
}

/** The error message (file, key, reason) when the pushed config is unusable, else the config. */
function validate(
  readError: unknown,
  raw: unknown,
): { problem: string; config?: undefined } | { problem: null; config: RepoConfig } {
  if (readError !== undefined) return { problem: describeConfigError(readError) };
  try {
    return { problem: null, config: parseRepoConfig(raw) };
  } catch (error) {
    return { problem: describeConfigError(error) };
  }
}

/**
 * Why the project field cannot be kept for the project the valid config names (docs/projects.md), as last recorded;
 * null when nothing is recorded for it. A recorded problem with a project the config no longer names is cleared.
 */
async function projectProblem(deps: HandlerDeps, repositoryId: bigint, config: RepoConfig): Promise<string | null> {
  const recorded = await readProjectError(deps.prisma, repositoryId);
  if (recorded === null) return null;
  if (recorded.url === config.project.url) return recorded.message;
  await clearProjectError(deps.prisma, repositoryId);
  return null;
}

async function reportCheck(
  deps: HandlerDeps,
  context: Context<"push">,
  sha: string,
  problem: string | null,
  project: string | null = null,
): Promise<void> {
  const fullName = context.payload.repository.full_name;
  // The file is valid; the project it names is not usable: reported, but not as a failing commit.
  const conclusion = problem ? "failure" : project ? "neutral" : "success";
  const output = problem
    ? {
        title: shorten(problem.replace(/ from https?:\/\/\S+/, ""), 200),
        summary: [
          `closeloop cannot use \`${CONFIG_PATH}\` as it is at this commit:`,
          "",
          `> ${problem}`,
          "",
          "Conversation links are still captured. Labels and reopening use the last valid configuration, else the defaults, until the file is fixed.",
        ].join("\n"),
      }
    : project
      ? {
          title: shorten(`${CONFIG_PATH} is valid, but closeloop cannot keep the project field`, 200),
          summary: [
            `closeloop uses \`${CONFIG_PATH}\` as it is at this commit, but cannot keep the \`project.field\` number field:`,
            "",
            `> ${project}`,
            "",
            "Labels and reopening work as configured. closeloop tries the project again within the hour, and `closeloop status` lists the problem until it is solved.",
          ].join("\n"),
        }
      : { title: `${CONFIG_PATH} is valid`, summary: `closeloop uses \`${CONFIG_PATH}\` as it is at this commit.` };
  if (deps.dryRun) {
    context.log.info(
      `[dry-run] Would create check run "${CONFIG_CHECK_NAME}" (${conclusion}) on ${fullName}@${sha.slice(0, 7)}: ${output.title}`,
    );
    return;
  }
  const created = await createCompletedCheck(context.octokit, context.repo(), {
    name: CONFIG_CHECK_NAME,
    sha,
    conclusion,
    output,
  });
  if (created === "refused")
    context.log.warn(
      `${fullName}: cannot create the "${CONFIG_CHECK_NAME}" check run (GitHub answered 403); accept the app's "Checks: write" permission in the installation settings. ${problem ? `The config error is logged and shown by \`closeloop status\`: ${problem}` : ""}`.trim(),
    );
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
