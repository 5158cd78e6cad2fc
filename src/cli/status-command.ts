import { PROVIDERS } from "../domain/link.js";
import { configuredWebhooks } from "../http/helpdesk-webhooks.js";
import { enabledProviders } from "../providers/registry.js";
import { backfillSummary } from "../store/backfills.js";
import { checkReadiness, type Database } from "../store/database.js";
import { listConfigErrors } from "../store/config-errors.js";
import { listLabelErrors } from "../store/labels.js";
import { listProjectErrors } from "../store/project-fields.js";
import { migrationStatus } from "../store/migrations.js";
import { deliveryBacklog } from "../store/deliveries.js";
import { enrichmentBacklog } from "../store/enrich-jobs.js";
import { linkNoteBacklog } from "../store/link-notes.js";
import type { ProviderQueue } from "../store/helpdesk-jobs.js";
import { jobBacklog } from "../store/reopen-jobs.js";
import { refusedCloses } from "../store/issues.js";
import { readSweep } from "../store/sweep-schedule.js";
import type { Output } from "./output.js";

export interface StatusJson {
  database: { engine: string; url: string; ready: boolean; reason?: string };
  migrations: { applied: string[]; pending: string[]; problem?: string };
  /** `enabled`: API credentials set (reopen, enrichment); `webhook`: its webhook secret set (links made in the helpdesk) */
  providers: { id: string; enabled: boolean; webhook: boolean; problem?: string }[];
  links: number;
  issues: number;
  /** webhook deliveries stored but not yet processed, and the ones that failed too often */
  deliveries: { waiting: number; dead: { id: string; event: string; attempts: number; error: string | null; deadAt: string | null }[] };
  /** reopen jobs per provider (queued = pending + running) and the latest dead letters */
  reopen: {
    providers: QueueJson[];
    dead: { id: number; provider: string; conversationId: string; issue: string; attempts: number; error: string | null; deadAt: string | null }[];
    /** closes that reopened nothing because their closer lacked `reopen.by`: how many, and the latest ten */
    refused: { count: number; latest: { issue: string; closedAt: string; closedBy: string | null; reason: string }[] };
  };
  /**
   * notes on conversations a GitHub body or comment linked for the first time, per provider, and the latest that
   * died (their ids are link-note ids, not `closeloop jobs` ids; `closeloop retry --dead` queues them again)
   */
  linkNotes: {
    providers: QueueJson[];
    dead: { id: number; provider: string; conversationId: string; issue: string; attempts: number; error: string | null; deadAt: string | null }[];
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
  backfills: { pending: number; running: number; done: number; failed: number; failures: { repository: string; error: string | null; finishedAt: string | null }[] };
  configErrors: { repository: string; path: string; message: string; commitSha: string | null; seenAt: string }[];
  /** repositories where GitHub refused label writes (403); writes there pause an hour, then are tried again */
  labelErrors: { repository: string; message: string; seenAt: string }[];
  /** repositories whose `project.url` project GitHub will not let closeloop use; writes pause an hour, then one is tried */
  projectErrors: { repository: string; url: string; message: string; seenAt: string }[];
}

/** `closeloop status`: exit 0 when the database is ready and every provider's settings are valid. */
export async function statusCommand(database: Database, json: boolean, out: Output, env: Record<string, string | undefined> = process.env): Promise<number> {
  const readiness = await checkReadiness(database);
  const migrations = await migrationStatus(database.target);
  const providers = providerStatus(env);
  const counts = readiness.ready ? await Promise.all([database.prisma.link.count(), database.prisma.issue.count()]) : [0, 0];
  const configErrors = readiness.ready ? await listConfigErrors(database.prisma) : [];
  const labelErrors = readiness.ready ? await listLabelErrors(database.prisma) : [];
  const projectErrors = readiness.ready ? await listProjectErrors(database.prisma) : [];
  const backlog = readiness.ready ? await deliveryBacklog(database.prisma) : { waiting: 0, dead: [] };
  const jobs = readiness.ready ? await jobBacklog(database.prisma) : { providers: [], dead: [] };
  const refused = readiness.ready ? await refusedCloses(database.prisma) : { count: 0, latest: [] };
  const enrichment = readiness.ready ? await enrichmentBacklog(database.prisma) : [];
  const notes = readiness.ready ? await linkNoteBacklog(database.prisma) : { providers: [], dead: [] };
  const sweep = readiness.ready ? await readSweep(database.prisma) : null;
  const backfills = readiness.ready ? await backfillSummary(database.prisma) : { pending: 0, running: 0, done: 0, failed: 0, failures: [] };
  const status: StatusJson = {
    database: { engine: database.engine, url: database.target.display.replace(/^\S+ /, ""), ready: readiness.ready, ...(readiness.reason ? { reason: readiness.reason } : {}) },
    migrations,
    providers,
    links: counts[0]!,
    issues: counts[1]!,
    deliveries: {
      waiting: backlog.waiting,
      dead: backlog.dead.map((d) => ({ id: d.id, event: d.name, attempts: d.attempts, error: d.lastError, deadAt: d.deadAt?.toISOString() ?? null })),
    },
    reopen: {
      providers: jobs.providers.map(queueJson),
      dead: jobs.dead.map((job) => ({ id: job.id, provider: job.provider, conversationId: job.conversationId, issue: job.issue, attempts: job.attempts, error: job.lastError, deadAt: job.finishedAt?.toISOString() ?? null })),
      refused: {
        count: refused.count,
        latest: refused.latest.map((close) => ({ issue: close.issue, closedAt: close.closedAt.toISOString(), closedBy: close.closedBy, reason: close.refusal })),
      },
    },
    linkNotes: {
      providers: notes.providers.map(queueJson),
      dead: notes.dead.map((note) => ({ id: note.id, provider: note.provider, conversationId: note.conversationId, issue: note.issue, attempts: note.attempts, error: note.lastError, deadAt: note.finishedAt?.toISOString() ?? null })),
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
    backfills: { ...backfills, failures: backfills.failures.map((failure) => ({ ...failure, finishedAt: failure.finishedAt?.toISOString() ?? null })) },
    configErrors: configErrors.map((error) => ({ ...error, seenAt: error.seenAt.toISOString() })),
    labelErrors: labelErrors.map((error) => ({ ...error, seenAt: error.seenAt.toISOString() })),
    projectErrors: projectErrors.map((error) => ({ ...error, seenAt: error.seenAt.toISOString() })),
  };
  const healthy = readiness.ready && providers.every((provider) => !provider.problem);
  if (json) {
    out.json(status);
    return healthy ? 0 : 1;
  }
  out.line(`database    ${database.target.display}: ${readiness.ready ? "ready" : `NOT READY: ${readiness.reason}`}`);
  out.line(`migrations  ${migrations.applied.length} applied, ${migrations.pending.length} pending${migrations.problem ? `; ${migrations.problem}` : ""}`);
  out.line(`providers   ${providers.map((p) => `${p.id} ${p.problem ? `(ERROR: ${p.problem})` : p.enabled ? "enabled" : "off"}${p.webhook ? " + webhook" : ""}`).join(", ")}`);
  out.line(`links       ${status.links} on ${status.issues} issues`);
  out.line(`webhooks    ${backlog.waiting} waiting in the inbox, ${backlog.dead.length} dead`);
  for (const dead of status.deliveries.dead) out.line(`            dead ${dead.id} (${dead.event}, ${dead.attempts} attempts): ${dead.error}`);
  const queues = status.reopen.providers.map((q) => `${q.provider} ${q.queued} queued${q.running > 0 ? ` (${q.running} running)` : ""}, ${q.dead} dead`);
  out.line(`reopen      ${queues.length > 0 ? queues.join("; ") : "no jobs"}`);
  for (const dead of status.reopen.dead) out.line(`            dead job ${dead.id}: ${dead.provider} ${dead.conversationId} (${dead.issue}, ${dead.attempts} attempt${dead.attempts === 1 ? "" : "s"}): ${dead.error}`);
  if (refused.count > 0) out.line(`refused     ${refused.count} close(s) reopened nothing: the closer lacked reopen.by`);
  for (const close of status.reopen.refused.latest) out.line(`            ${close.issue} at ${close.closedAt}: ${close.reason}`);
  const enabled = new Set(providers.filter((p) => p.enabled).map((p) => p.id));
  const waiting = (q: QueueJson) => `${q.provider} ${q.queued} queued${enabled.has(q.provider) ? "" : " (waiting: not configured)"}, ${q.dead} dead`;
  const linkNotes = status.linkNotes.providers.map(waiting);
  out.line(`link notes  ${linkNotes.length > 0 ? linkNotes.join("; ") : "none"}`);
  for (const dead of status.linkNotes.dead) out.line(`            dead link note ${dead.id}: ${dead.provider} ${dead.conversationId} (${dead.issue}, ${dead.attempts} attempt${dead.attempts === 1 ? "" : "s"}): ${dead.error}`);
  const reads = status.enrichment.providers.map(waiting);
  out.line(`enrichment  ${reads.length > 0 ? reads.join("; ") : "no jobs"}`);
  out.line(`sweep       ${describeSweep(status.sweep)}`);
  const { pending, running, done, failed } = status.backfills;
  out.line(`backfill    ${pending + running + done + failed === 0 ? "none requested" : `${done} done, ${pending + running} to do${running > 0 ? ` (${running} running)` : ""}, ${failed} failed`}`);
  for (const failure of status.backfills.failures) out.line(`            failed ${failure.repository}: ${failure.error}`);
  if (configErrors.length === 0) out.line("config      no errors");
  for (const error of status.configErrors) out.line(`config      ${error.repository}: ${error.message} (${error.commitSha ? `in ${error.commitSha.slice(0, 7)}, ` : ""}seen ${error.seenAt})`);
  for (const error of status.labelErrors) out.line(`labels      ${error.repository}: cannot write labels: ${error.message} (seen ${error.seenAt})`);
  for (const error of status.projectErrors) out.line(`project     ${error.repository}: cannot keep the project field: ${error.message} (seen ${error.seenAt})`);
  return healthy ? 0 : 1;
}

/** A provider's jobs (reopen, link notes or enrichment) in `status --json`: `queued` counts the running ones too. */
interface QueueJson {
  provider: string;
  queued: number;
  running: number;
  done: number;
  dead: number;
}

function queueJson(q: ProviderQueue): QueueJson {
  return { provider: q.provider, queued: q.pending + q.running, running: q.running, done: q.done, dead: q.dead };
}

function describeSweep(sweep: StatusJson["sweep"]): string {
  if (sweep === null) return "never run";
  const parts = [];
  if (sweep.runningSince) parts.push(`running since ${sweep.runningSince}`);
  if (sweep.lastFinishedAt) {
    const seconds = ((sweep.durationMs ?? 0) / 1000).toFixed(2);
    parts.push(`last ${sweep.lastFinishedAt}: ${sweep.issues} issue(s) due, ${sweep.changed} relabelled in ${seconds}s${sweep.error ? `; stopped early: ${sweep.error}` : ""}`);
  } else parts.push("none finished yet");
  parts.push(`next at ${sweep.nextRunAt}`);
  return parts.join("; ");
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
