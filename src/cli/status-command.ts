import { sidebarsSwitchedOn } from "../sidebar/registry.js";
import { checkHelpdeskConnections, MISCONFIGURED } from "../operations/helpdesk-connections.js";
import { readStatus, type QueueJson, type StatusJson } from "../operations/status.js";
import type { KindCounts } from "../jobs/job-kinds.js";
import type { Database } from "../store/database.js";
import type { Output } from "./output.js";

/**
 * `closeloop status`: exit 0 when the database is ready, every provider's settings are valid and accepted by its
 * helpdesk, the GitHub App is configured in this environment and a server was seen lately. A helpdesk unreachable or
 * rate limited is shown but does not fail it: closeloop retries those calls itself (README, CLI).
 */
export async function statusCommand(
  database: Database,
  json: boolean,
  out: Output,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const [read, connections] = await Promise.all([readStatus(database, env), checkHelpdeskConnections(env)]);
  const status: StatusJson = { ...read.status, sidebars: sidebarsSwitchedOn(env), connections };
  const healthy = read.healthy && connections.every((connection) => !MISCONFIGURED.has(connection.state));
  const { migrations, providers } = status;
  if (json) {
    out.json(status);
    return healthy ? 0 : 1;
  }
  const { github, server } = status;
  out.line(`github      ${github.problem ? `NOT CONFIGURED: ${github.problem}` : `app ${github.appId} configured`}`);
  out.line(
    `server      ${server.problem ? `NOT SEEN: ${server.problem}` : `${server.running} running, last seen ${server.lastSeenAt} on ${server.host}`}`,
  );
  out.line(
    `database    ${database.target.display}: ${status.database.ready ? "ready" : `NOT READY: ${status.database.reason}`}`,
  );
  out.line(
    `migrations  ${migrations.applied.length} applied, ${migrations.pending.length} pending${migrations.problem ? `; ${migrations.problem}` : ""}`,
  );
  out.line(
    `providers   ${providers.map((p) => `${p.id} ${p.problem ? `(ERROR: ${p.problem})` : p.enabled ? "enabled" : "off"}${p.webhook ? " + webhook" : ""}`).join(", ")}`,
  );
  if (connections.length === 0) out.line("helpdesks   none configured (README, Connect a helpdesk)");
  for (const [i, { provider, state, detail }] of connections.entries())
    out.line(
      `${i === 0 ? "helpdesks" : ""}`.padEnd(12) +
        `${provider} ${state === "ok" ? `ok, ${detail}` : `${state.toUpperCase()}: ${detail}`}`,
    );
  out.line(`sidebars    ${status.sidebars!.length > 0 ? status.sidebars!.join(", ") : "none (README, Sidebars)"}`);
  out.line(`links       ${status.links} on ${status.issues} issues`);
  for (const [i, kind] of status.jobs.entries()) out.line(`${i === 0 ? "jobs" : ""}`.padEnd(12) + describeKind(kind));
  out.line(`webhooks    ${status.deliveries.waiting} waiting in the inbox, ${status.deliveries.dead.length} dead`);
  for (const dead of status.deliveries.dead)
    out.line(`            dead ${dead.id} (${dead.event}, ${dead.attempts} attempts): ${dead.error}`);
  const queues = status.reopen.providers.map(
    (q) => `${q.provider} ${q.queued} queued${q.running > 0 ? ` (${q.running} running)` : ""}, ${q.dead} dead`,
  );
  out.line(`reopen      ${queues.length > 0 ? queues.join("; ") : "no jobs"}`);
  for (const dead of status.reopen.dead)
    out.line(
      `            dead job ${dead.id}: ${dead.provider} ${dead.conversationId} (${dead.issue}, ${dead.attempts} attempt${dead.attempts === 1 ? "" : "s"}): ${dead.error}`,
    );
  if (status.reopen.refused.count > 0)
    out.line(`refused     ${status.reopen.refused.count} close(s) reopened nothing: the closer lacked reopen.by`);
  for (const close of status.reopen.refused.latest)
    out.line(`            ${close.issue} at ${close.closedAt}: ${close.reason}`);
  const enabled = new Set(providers.filter((p) => p.enabled).map((p) => p.id));
  const waiting = (q: QueueJson) =>
    `${q.provider} ${q.queued} queued${enabled.has(q.provider) ? "" : " (waiting: not configured)"}, ${q.dead} dead`;
  const linkNotes = status.linkNotes.providers.map(waiting);
  out.line(`link notes  ${linkNotes.length > 0 ? linkNotes.join("; ") : "none"}`);
  for (const dead of status.linkNotes.dead)
    out.line(
      `            dead link note ${dead.id}: ${dead.provider} ${dead.conversationId} (${dead.issue}, ${dead.attempts} attempt${dead.attempts === 1 ? "" : "s"}): ${dead.error}`,
    );
  const reads = status.enrichment.providers.map(waiting);
  out.line(`enrichment  ${reads.length > 0 ? reads.join("; ") : "no jobs"}`);
  out.line(`sweep       ${describeSweep(status.sweep)}`);
  const { pending, running, done, failed, waitingForGithubUntil } = status.backfills;
  out.line(
    `backfill    ${pending + running + done + failed === 0 ? "none requested" : `${done} done, ${pending + running} to do${running > 0 ? ` (${running} running)` : ""}, ${failed} failed`}${waitingForGithubUntil === null ? "" : `; waiting for GitHub's rate limit until ${waitingForGithubUntil}`}`,
  );
  for (const failure of status.backfills.failures)
    out.line(`            failed ${failure.repository}: ${failure.error}`);
  if (status.configErrors.length === 0) out.line("config      no errors");
  for (const error of status.configErrors)
    out.line(
      `config      ${error.repository}: ${error.message} (${error.commitSha ? `in ${error.commitSha.slice(0, 7)}, ` : ""}seen ${error.seenAt})`,
    );
  for (const error of status.labelErrors)
    out.line(`labels      ${error.repository}: cannot write labels: ${error.message} (seen ${error.seenAt})`);
  for (const error of status.projectErrors)
    out.line(`project     ${error.repository}: cannot keep the project field: ${error.message} (seen ${error.seenAt})`);
  return healthy ? 0 : 1;
}

/** A kind of job's rows by state (all of them, or one state): `closeloop status` and `closeloop jobs`. */
export function describeKind(kind: KindCounts, state?: "pending" | "running" | "dead"): string {
  const states = state === undefined ? (["pending", "running", "dead"] as const) : [state];
  return `${kind.title}: ${states.map((one) => `${kind[one]} ${one}`).join(", ")}`;
}

function describeSweep(sweep: StatusJson["sweep"]): string {
  if (sweep === null) return "never run";
  const parts = [];
  if (sweep.runningSince) parts.push(`running since ${sweep.runningSince}`);
  if (sweep.lastFinishedAt) {
    const seconds = ((sweep.durationMs ?? 0) / 1000).toFixed(2);
    parts.push(
      `last ${sweep.lastFinishedAt}: ${sweep.issues} issue(s) due, ${sweep.changed} relabelled in ${seconds}s${sweep.error ? `; stopped early: ${sweep.error}` : ""}`,
    );
  } else parts.push("none finished yet");
  parts.push(`next at ${sweep.nextRunAt}`);
  return parts.join("; ");
}
