import pino from "pino";
import type { Logger, Probot } from "probot";
import { IssueMarkingsWorker } from "../../src/jobs/issue-markings-worker.js";
import { closeloopApp } from "../../src/app.js";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import type { HandlerDeps } from "../../src/handlers/deps.js";
import { RepositoryPermissions } from "../../src/github/permissions.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import type { Engine } from "../../src/config/database-url.js";
import { freshDatabaseUrl } from "./databases.js";
import { testProbot } from "./github.js";
import { GithubMemory } from "../../src/github/memory.js";

export const TEST_APP_ID = 1;
/** The harness's clock for label windows: well after every date the handler tests use, unless a test moves it. */
export const TEST_NOW = new Date("2027-01-01T00:00:00Z");

export interface Harness {
  probot: Probot;
  database: Database;
  deps: HandlerDeps;
  close(): Promise<void>;
}

/**
 * Applies the markings jobs a delivery marked before its handler returns, through the real markings job with no coalescing
 * window, so a test sees the GitHub calls of one delivery at a time (the server applies them from its worker).
 */
export function applyLabelsAtOnce(
  database: Database,
  deps: HandlerDeps,
  probot: Probot,
  log: Logger = pino({ level: "silent" }),
): () => Promise<void> {
  return async () => {
    const worker = new IssueMarkingsWorker(
      {
        prisma: database.prisma,
        engine: database.engine,
        github: (id) => probot.auth(id),
        configs: deps.configs,
        memory: deps.memory,
        log,
        dryRun: deps.dryRun ?? false,
        now: () => deps.now?.() ?? new Date(),
      },
      { coalesceMs: 0, backoffBaseMs: 60_000 },
    );
    await worker.drain();
  };
}

/** The app on a fresh, migrated database of the engine, receiving webhooks through a test Probot. */
export async function startHarness(
  engine: Engine,
  options: { log?: Logger; onStatement?: (sql: string) => void } = {},
): Promise<Harness> {
  const database = await openDatabase(await freshDatabaseUrl(engine), {
    migrate: true,
    ...(options.onStatement && { onStatement: options.onStatement }),
  });
  const log = options.log ?? pino({ level: "silent" });
  const probot = testProbot(options.log);
  const deps: HandlerDeps = {
    prisma: database.prisma,
    repositoryRows: database.repositoryRows,
    configs: new RepoConfigCache(database, log),
    memory: new GithubMemory(),
    matchers: urlMatchers,
    appId: TEST_APP_ID,
    permissions: new RepositoryPermissions(),
    githubApp: () => probot.auth(),
    now: () => TEST_NOW,
  };
  deps.labelsWanted = applyLabelsAtOnce(database, deps, probot);
  await probot.load(closeloopApp(deps));
  return { probot, database, deps, close: () => database.close() };
}
