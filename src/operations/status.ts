import { PROVIDERS } from "../domain/link.js";
import { countEveryKind, type KindCounts } from "../jobs/job-kinds.js";
import { configuredWebhooks, enabledProviders } from "../providers/registry.js";
import { backfillSummary } from "../store/backfills.js";
import { checkReadiness, type Database } from "../store/database.js";
import { listConfigErrors } from "../store/config-errors.js";
import { countLinksAndIssues } from "../store/counts.js";
import { listLabelErrors } from "../store/labels.js";
import { linkNoteBacklog } from "../store/link-notes.js";
import { listProjectErrors } from "../store/project-fields.js";
import { migrationStatus } from "../store/migrations.js";
import { deliveryBacklog } from "../store/deliveries.js";
import { enrichmentBacklog } from "../store/enrich-jobs.js";
import type { ProviderQueue } from "../store/helpdesk-jobs.js";
import { jobBacklog } from "../store/reopen-jobs.js";
import { refusedCloses } from "../store/issues.js";
import { readSweep } from "../store/sweep-schedule.js";
import { HEARTBEAT_STALE_MS, readHeartbeats } from "../store/heartbeats.js";
import type { HelpdeskConnection } from "./helpdesk-connections.js";

/** a reopen job or link note that died, as status shows it */
interface DeadConversationJobJson {
  id: number;
  provider: string;
  conversationId: string;
  issue: string;
  attempts: number;
  error: string | null;
  deadAt: string | null;
}

export interface StatusJson {
  database: { engine: string; url: string; ready: boolean; reason?: string };
  /** the GitHub App's credentials in this environment (`APP_ID`, `PRIVATE_KEY` or `PRIVATE_KEY_PATH`, `WEBHOOK_SECRET`) */
  github: { configured: boolean; appId: string | null; problem?: string };
  /** server processes' heartbeats in this database: the latest, and how many were seen within the last 90 s */
  server: { running: number; lastSeenAt: string | null; host: string | null; problem?: string };
  migrations: { applied: string[]; pending: string[]; problem?: string };
  /** `enabled`: API credentials set (reopen, enrichment); `webhook`: its webhook secret set (links made in the helpdesk) */
  providers: { id: string; enabled: boolean; webhook: boolean; problem?: string }[];
  /** the helpdesk sidebars whose secret is set (README, Sidebars); added by the CLI and the server, which know them */
  sidebars?: string[];
  /** each helpdesk with credentials, checked by one authenticated read; added by the CLI (src/operations/helpdesk-connections.ts) */
  connections?: HelpdeskConnection[];
  links: number;
  issues: number;
  /** every kind of background work (src/jobs/job-kinds.ts), by state, in the registry's order */
  jobs: KindCounts[];
  /** webhook deliveries stored but not yet processed, and the ones that failed too often */
  deliveries: {
    waiting: number;
    dead: { id: string; event: string; attempts: number; error: string | null; deadAt: string | null }[];
  };
  /** reopen jobs per provider (queued = pending + running) and the latest dead letters */
  reopen: {
    providers: QueueJson[];
    dead: DeadConversationJobJson[];
    /** closes that reopened nothing because their closer lacked `reopen.by`: how many, and the latest ten */
    refused: { count: number; latest: { issue: string; closedAt: string; closedBy: string | null; reason: string }[] };
  };
  /**
   * notes on conversations a GitHub body or comment linked for the first time, per provider, and the latest that
   * died (their ids are link-note ids, not `closeloop jobs` ids; `closeloop retry --dead` queues them again)
   */
  linkNotes: {
    providers: QueueJson[];
    dead: DeadConversationJobJson[];
  };
  /** jobs reading linked conversations' team, tags and customer for the labels, per provider */
  enrichment: { providers: QueueJson[] };
  /** the decay sweep: the last one that finished, whether one runs now, and when the next is due (null: never ran) */
  sweep: {
    lastFinishedAt: string | null;
    durationMs: number | null;
    issues: number;
    links: number;
    changed: number;
    error: string | null;
    runningSince: string | null;
    nextRunAt: string | null;
  } | null;
  /** reading existing issues of newly installed repositories */
  backfills: {
    pending: number;
    running: number;
    done: number;
    failed: number;
    /** a running backfill waits for GitHub's rate limit to reset (its answers left only the webhooks' reserve): until when */
    waitingForGithubUntil: string | null;
    failures: { repository: string; error: string | null; finishedAt: string | null }[];
  };
  configErrors: { repository: string; path: string; message: string; commitSha: string | null; seenAt: string }[];
  /** repositories where GitHub refused label writes (403); writes there pause an hour, then are tried again */
  labelErrors: { repository: string; message: string; seenAt: string }[];
  /** repositories whose `project.url` project GitHub will not let closeloop use; writes pause an hour, then one is tried */
  projectErrors: { repository: string; url: string; message: string; seenAt: string }[];
}

/**
 * What `closeloop status` and the dashboard's operations page show, read once: the database and migrations, the
 * providers' settings in `env`, queues, dead letters, the last sweep, backfills, config and label errors. `healthy`:
 * the database is ready and every provider's settings are valid.
 */
export async function readStatus(
  database: Database,
  env: Record<string, string | undefined>,
): Promise<{ status: StatusJson; healthy: boolean }> {
  const readiness = await checkReadiness(database);
  const migrations = await migrationStatus(database.target);
  const providers = providerStatus(env);
  const counts = readiness.ready ? await countLinksAndIssues(database.prisma) : { links: 0, issues: 0 };
  const configErrors = readiness.ready ? await listConfigErrors(database.prisma) : [];
  const labelErrors = readiness.ready ? await listLabelErrors(database.prisma) : [];
  const projectErrors = readiness.ready ? await listProjectErrors(database.prisma) : [];
  const jobKinds = readiness.ready ? await countEveryKind(database.prisma) : [];
  const backlog = readiness.ready ? await deliveryBacklog(database.prisma) : { waiting: 0, dead: [] };
  const jobs = readiness.ready ? await jobBacklog(database.prisma) : { providers: [], dead: [] };
  const refused = readiness.ready ? await refusedCloses(database.prisma) : { count: 0, latest: [] };
  const enrichment = readiness.ready ? await enrichmentBacklog(database.prisma) : [];
  const notes = readiness.ready ? await linkNoteBacklog(database.prisma) : { providers: [], dead: [] };
  const sweep = readiness.ready ? await readSweep(database.prisma) : null;
  const backfills = readiness.ready
    ? await backfillSummary(database.prisma)
    : { pending: 0, running: 0, done: 0, failed: 0, waitingForGithubUntil: null, failures: [] };
  const github = githubAppStatus(env);
  const server = serverStatus(readiness.ready ? await readHeartbeats(database.prisma, new Date()) : null);
  const status: StatusJson = {
    github,
    server,
    database: {
      engine: database.engine,
      url: database.target.display.replace(/^\S+ /, ""),
      ready: readiness.ready,
      ...(readiness.reason ? { reason: readiness.reason } : {}),
    },
    migrations,
    providers,
    links: counts.links,
    issues: counts.issues,
    jobs: jobKinds,
    deliveries: {
      waiting: backlog.waiting,
      dead: backlog.dead.map((d) => ({
        id: d.id,
        event: d.name,
        attempts: d.attempts,
        error: d.lastError,
        deadAt: d.deadAt?.toISOString() ?? null,
      })),
    },
    reopen: {
      providers: jobs.providers.map(queueJson),
      dead: jobs.dead.map((job) => ({
        id: job.id,
        provider: job.provider,
        conversationId: job.conversationId,
        issue: job.issue,
        attempts: job.attempts,
        error: job.lastError,
        deadAt: job.finishedAt?.toISOString() ?? null,
      })),
      refused: {
        count: refused.count,
        latest: refused.latest.map((close) => ({
          issue: close.issue,
          closedAt: close.closedAt.toISOString(),
          closedBy: close.closedBy,
          reason: close.refusal,
        })),
      },
    },
    linkNotes: {
      providers: notes.providers.map(queueJson),
      dead: notes.dead.map((note) => ({
        id: note.id,
        provider: note.provider,
        conversationId: note.conversationId,
        issue: note.issue,
        attempts: note.attempts,
        error: note.lastError,
        deadAt: note.finishedAt?.toISOString() ?? null,
      })),
    },
    enrichment: { providers: enrichment.map(queueJson) },
    sweep: sweep && {
      lastFinishedAt: sweep.finishedAt?.toISOString() ?? null,
      durationMs: sweep.durationMs,
      issues: sweep.issues,
      links: sweep.links,
      changed: sweep.changed,
      error: sweep.error,
      runningSince: sweep.runningSince?.toISOString() ?? null,
      nextRunAt: sweep.nextRunAt.toISOString(),
    },
    backfills: {
      ...backfills,
      waitingForGithubUntil: backfills.waitingForGithubUntil?.toISOString() ?? null,
      failures: backfills.failures.map((failure) => ({
        ...failure,
        finishedAt: failure.finishedAt?.toISOString() ?? null,
      })),
    },
    configErrors: configErrors.map((error) => ({ ...error, seenAt: error.seenAt.toISOString() })),
    labelErrors: labelErrors.map((error) => ({ ...error, seenAt: error.seenAt.toISOString() })),
    projectErrors: projectErrors.map((error) => ({ ...error, seenAt: error.seenAt.toISOString() })),
  };
  const healthy =
    readiness.ready && providers.every((provider) => !provider.problem) && !github.problem && !server.problem;
  return { status, healthy };
}

/** A provider's jobs (reopen, link notes or enrichment) in `status --json`: `queued` counts the running ones too. */
export interface QueueJson {
  provider: string;
  queued: number;
  running: number;
  done: number;
  dead: number;
}

function queueJson(q: ProviderQueue): QueueJson {
  return { provider: q.provider, queued: q.pending + q.running, running: q.running, done: q.done, dead: q.dead };
}

function providerStatus(env: Record<string, string | undefined>): StatusJson["providers"] {
  return PROVIDERS.map((id) => {
    const own = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith(prefix(id))));
    try {
      return { id, enabled: enabledProviders(own).has(id), webhook: configuredWebhooks(own).has(id) };
    } catch (error) {
      return { id, enabled: false, webhook: false, problem: (error as Error).message };
    }
  });
}

function prefix(id: string): string {
  return `${id.toUpperCase()}_`;
}

/** Whether this environment has the GitHub App's credentials: without them no server can serve webhooks. */
function githubAppStatus(env: Record<string, string | undefined>): StatusJson["github"] {
  const set = (name: string) => (env[name]?.trim() ?? "") !== "";
  const missing = [
    ...(set("APP_ID") ? [] : ["APP_ID"]),
    ...(set("PRIVATE_KEY") || set("PRIVATE_KEY_PATH") ? [] : ["PRIVATE_KEY (or PRIVATE_KEY_PATH)"]),
    ...(set("WEBHOOK_SECRET") ? [] : ["WEBHOOK_SECRET"]),
  ];
  if (missing.length === 0) return { configured: true, appId: env.APP_ID!.trim() };
  return {
    configured: false,
    appId: null,
    problem: `the GitHub App is not configured: ${missing.join(", ")} not set (npm start without them runs the setup flow that registers the app)`,
  };
}

function serverStatus(heartbeats: Awaited<ReturnType<typeof readHeartbeats>> | null): StatusJson["server"] {
  const lastSeenAt = heartbeats?.lastSeenAt?.toISOString() ?? null;
  const server = { running: heartbeats?.running ?? 0, lastSeenAt, host: heartbeats?.host ?? null };
  if (server.running > 0) return server;
  const seen = lastSeenAt ? `last seen ${lastSeenAt} on ${server.host}` : "never seen";
  return {
    ...server,
    problem: `no closeloop server seen in the last ${HEARTBEAT_STALE_MS / 1000} s (${seen}): webhooks wait in GitHub and nothing is reopened; start one against this DATABASE_URL`,
  };
}
