import { readFileSync } from "node:fs";
import pino from "pino";
import { Probot } from "probot";
import { z } from "zod";
import { RepoConfigCache } from "../github/repo-config-cache.js";
import { githubApiUrl, type Env } from "../config/env.js";
import { QUEUES } from "../config/queues.js";
import { findInstalledRepository, listInstalledRepositories, type GithubApp } from "../github/installations.js";
import { IssueMarkingsWorker } from "../jobs/issue-markings-worker.js";
import { workerOwner } from "../jobs/worker.js";
import { runBackfill, BackfillForbiddenError, describeCursor, type BackfillProgress } from "../jobs/backfill.js";
import { urlMatchers } from "../providers/url-matchers.js";
import {
  claimBackfill,
  failBackfill,
  readBackfill,
  requestBackfills,
  type BackfillStatus,
} from "../store/backfills.js";
import type { Database } from "../store/database.js";
import { findRepository } from "../store/repositories.js";
import { InstallationPurged, liftRepositoryPurges } from "../store/purged-installations.js";
import { parseWith, UsageError } from "./arguments.js";
import { CommandFailed } from "./command.js";
import type { Output } from "./output.js";
import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import { GithubMemory } from "../github/memory.js";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

/** GitHub as the CLI reaches it: the app itself (to find installations) and each installation. */
export interface GitHubApp {
  appId: number;
  /** no argument: authenticated as the app (JWT); an id: as that installation */
  auth(installationId?: number): Promise<Octokit>;
}

/**
 * The GitHub App from the environment (the server's credentials), or a CommandFailed saying what is missing: a setting,
 * not a bad argument, so exit 1 as for `sidebar` without CLOSELOOP_PUBLIC_URL (README, CLI).
 */
export function gitHubAppFromEnv(env: Env): GitHubApp {
  if (!env.APP_ID || (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH)) {
    throw new CommandFailed(
      "backfill reads GitHub as the app: set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH), as for the server",
    );
  }
  const privateKey = env.PRIVATE_KEY ?? readFileSync(env.PRIVATE_KEY_PATH!, "utf8");
  const probot = new Probot({
    appId: env.APP_ID,
    privateKey: privateKey.replace(/\\n/g, "\n"),
    log: pino({ level: "warn" }, pino.destination(2)),
    baseUrl: githubApiUrl(env),
  });
  return { appId: Number(env.APP_ID), auth: (installationId) => probot.auth(installationId) };
}

const repositoryArgument = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected <owner>/<repo>, e.g. octo-org/app");

export const BACKFILL_USAGE = "closeloop backfill <owner>/<repo> | --all [--json]";

/**
 * What `backfill` was asked to read: every installed repository, or one; read before the database is opened. Neither
 * or both is a missing or extra argument, whose line is the usage (README, CLI).
 */
export function readBackfillTarget(args: string[], all: boolean): "all" | { repository: string } {
  if (all === args.length > 0) throw new UsageError(`usage: ${BACKFILL_USAGE}`);
  return all ? "all" : { repository: parseWith(repositoryArgument, args[0], "repository") };
}

export interface BackfillCommandOptions {
  all: boolean;
  json: boolean;
  dryRun?: boolean;
  /** where the progress line goes (stderr); absent: no progress */
  progress?: (line: string, done: boolean) => void;
}

/**
 * `closeloop backfill <owner>/<repo> | --all`: the install backfill, run here with progress. A backfill the server is
 * running right now (its lease is live) is watched instead of run twice; an unfinished one resumes at its page; a
 * finished or failed one starts again. Exit 1 when any repository failed.
 */
export async function backfillCommand(
  database: Database,
  args: string[],
  options: BackfillCommandOptions,
  out: Output,
  github: GitHubApp,
): Promise<number> {
  const target = readBackfillTarget(args, options.all);
  const repositories =
    target === "all"
      ? await includedAgain(database, await listInstalledRepositories(asGithubApp(github)))
      : [await oneRepository(database, github, target.repository)];
  const log = pino({ level: "warn" }, pino.destination(2));
  const deps = {
    prisma: database.prisma,
    repositoryRows: database.repositoryRows,
    engine: database.engine,
    github: (installationId: number) => github.auth(installationId),
    configs: new RepoConfigCache(database, log),
    memory: new GithubMemory(),
    matchers: urlMatchers,
    appId: github.appId,
    log,
    dryRun: options.dryRun ?? false,
  };
  // The labels of issues that gained links go through the markings job's lease, as a server's would: an issue a
  // running server is applying (or will retry) is left to it, so the two never write one issue's labels at once. A dry
  // run leaves them marked: settled here, a server that is not in a dry run would never apply them.
  const markings = new IssueMarkingsWorker(deps, { coalesceMs: 0 });
  const applyLabels = deps.dryRun ? undefined : (gained: IssueRef[]) => markings.drain(gained);
  const results: BackfillStatus[] = [];
  for (const repository of repositories) {
    const name = `${repository.owner}/${repository.name}`;
    const show = (progress: BackfillProgress, done = false) =>
      options.progress?.(
        `${name}: ${done ? "done" : describeCursor(progress)}${progress.waitingUntil === undefined ? "" : ` · waiting for GitHub's rate limit until ${progress.waitingUntil.toISOString()}`} · ${progress.counts.issues} issues · ${progress.counts.comments} comments · ${progress.counts.links} links`,
        done,
      );
    const existing = await readBackfill(database.prisma, repository.id);
    if (!existing || existing.state === "done" || existing.state === "failed")
      await requestBackfills(database, [repository], new Date()).catch(unlessRemoved);
    const lease = { owner: workerOwner(), leaseMs: QUEUES.backfill.leaseMs };
    let claimed = await claimBackfill(database.prisma, database.engine, lease, { repositoryId: repository.id });
    // The server holds it: follow its progress until it finishes (or its lease runs out, and this takes over).
    while (claimed === null) {
      const status = await readBackfill(database.prisma, repository.id);
      if (status === null) break;
      const over = status.state === "done" || status.state === "failed";
      const waiting = status.githubWaitUntil !== null && status.githubWaitUntil > new Date();
      show(
        {
          phase: status.phase,
          page: status.page,
          counts: status,
          ...(waiting && { waitingUntil: status.githubWaitUntil! }),
        },
        over,
      );
      if (over) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      claimed = await claimBackfill(database.prisma, database.engine, lease, { repositoryId: repository.id });
    }
    if (claimed !== null) {
      try {
        const counts = await runBackfill(deps, claimed, {
          onProgress: (progress) => show(progress),
          ...(applyLabels && { applyLabels }),
        });
        show({ phase: "comments", page: 0, counts }, true);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        // The server's worker retries a transient failure from the page it stopped on; a forbidden repository fails.
        await failBackfill(
          database.prisma,
          claimed,
          reason,
          error instanceof BackfillForbiddenError ? { failed: new Date() } : { retryAt: new Date() },
        );
        options.progress?.(`${name}: stopped: ${reason}`, true);
      }
    }
    // No row: the repository was removed from its installation meanwhile (a server processed it), its rows purged.
    results.push((await readBackfill(database.prisma, repository.id)) ?? removedStatus(repository));
  }

  const failed = results.filter((result) => result.state !== "done" && result.state !== REMOVED);
  if (options.json) {
    out.json(
      results.map(({ repository, state, issues, comments, links, lastError }) => ({
        repository,
        state,
        issues,
        comments,
        links,
        error: lastError,
      })),
    );
  } else {
    for (const result of results) {
      out.line(
        result.state === "done"
          ? `${result.repository}: ${result.issues} issues and ${result.comments} comments read, ${result.links} links found`
          : result.state === REMOVED
            ? `${result.repository}: ${result.lastError}`
            : `${result.repository}: ${result.state === "failed" ? "FAILED" : "not finished"}: ${result.lastError ?? "unknown error"} (${result.issues} issues read so far)`,
      );
    }
  }
  return failed.length === 0 ? 0 : 1;
}

/** What the command reports of a repository removed from its installation while it ran: not a failure. */
const REMOVED = "removed";

function removedStatus(repository: RepositoryRef): BackfillStatus {
  return {
    repository: `${repository.owner}/${repository.name}`,
    state: REMOVED,
    githubWaitUntil: null,
    phase: "open",
    page: 1,
    issues: 0,
    comments: 0,
    links: 0,
    attempts: 0,
    lastError: `removed from installation ${repository.installationId} while it was read; closeloop keeps nothing of it`,
    requestedAt: new Date(),
    finishedAt: null,
  };
}

/** A write refused because the repository was removed and purged meanwhile is the run's end, not its failure. */
function unlessRemoved(error: unknown): void {
  if (!(error instanceof InstallationPurged)) throw error;
}

/** The repository, as stored, or found through the app's installation on it. */
async function oneRepository(database: Database, github: GitHubApp, fullName: string): Promise<RepositoryRef> {
  const stored = await findRepository(database.prisma, fullName);
  if (stored) return stored;
  const [owner, repo] = fullName.split("/") as [string, string];
  const found = await findInstalledRepository(asGithubApp(github), owner, repo);
  if (found === null) throw new UsageError(`closeloop is not installed on ${fullName} (or cannot see it)`);
  const [included] = await includedAgain(database, [found]);
  return included!;
}

/**
 * Repositories GitHub just named as their installation's: a removal recorded for one (its `added` event not processed
 * yet, or processed before the removal's) is lifted, as that event would, so its backfill can write its rows.
 */
async function includedAgain(database: Database, repositories: RepositoryRef[]): Promise<RepositoryRef[]> {
  const byInstallation = new Map<bigint, bigint[]>();
  for (const { installationId, id } of repositories)
    byInstallation.set(installationId, [...(byInstallation.get(installationId) ?? []), id]);
  for (const [installationId, ids] of byInstallation) await liftRepositoryPurges(database.prisma, installationId, ids);
  return repositories;
}

function asGithubApp(github: GitHubApp): GithubApp {
  return { app: () => github.auth(), installation: (installationId) => github.auth(installationId) };
}
