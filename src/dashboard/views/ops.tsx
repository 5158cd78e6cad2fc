import type { Child } from "hono/jsx";
import type { StatusJson } from "../../operations/status.js";
import { providerName } from "../../providers/registry.js";
import { Layout, type HeaderViewer } from "./layout.js";

/** A result of a retry to show above the status: how many jobs went back to the queue, or why none did. */
export type RetryNotice = { retried: number } | { problem: string } | null;

/**
 * What `closeloop status` shows, as tables: every kind of background work by state (the job-kind registry), with one
 * button retrying the dead of every kind, and a retry button per dead reopen job.
 */
export function OpsPage(props: { viewer: HeaderViewer; status: StatusJson; notice: RetryNotice; children?: Child }) {
  const { status } = props;
  const iso = (at: string | null) => (at === null ? "—" : `${at.slice(0, 10)} ${at.slice(11, 19)} UTC`);
  return (
    <Layout title="Operations" viewer={props.viewer} section="ops">
      <h1>Operations</h1>
      {props.notice && "retried" in props.notice && (
        <p role="status">
          {props.notice.retried === 0
            ? "No dead job to retry."
            : `${props.notice.retried} job${props.notice.retried === 1 ? "" : "s"} queued again; the workers pick them up within a second.`}
        </p>
      )}
      {props.notice && "problem" in props.notice && (
        <p role="alert" class="error">
          {props.notice.problem}
        </p>
      )}
      <table>
        <caption>Process and database</caption>
        <tbody>
          <tr>
            <th scope="row">Database</th>
            <td>{`${status.database.engine} ${status.database.url}: ${status.database.ready ? "ready" : `NOT READY: ${status.database.reason ?? ""}`}`}</td>
          </tr>
          <tr>
            <th scope="row">Migrations</th>
            <td>{`${status.migrations.applied.length} applied, ${status.migrations.pending.length} pending${status.migrations.problem ? `; ${status.migrations.problem}` : ""}`}</td>
          </tr>
          <tr>
            <th scope="row">Helpdesks</th>
            <td>
              {status.providers
                .map(
                  (p) =>
                    `${providerName(p.id)} ${p.problem ? `(ERROR: ${p.problem})` : p.enabled ? "enabled" : "off"}${p.webhook ? " + webhook" : ""}`,
                )
                .join(", ")}
            </td>
          </tr>
          <tr>
            <th scope="row">Sidebars</th>
            <td>
              {status.sidebars && status.sidebars.length > 0
                ? status.sidebars.map(providerName).join(", ")
                : "none: set a sidebar's secret (README, Sidebars)"}
            </td>
          </tr>
          <tr>
            <th scope="row">Links</th>
            <td>{`${status.links} on ${status.issues} issues`}</td>
          </tr>
          <tr>
            <th scope="row">Webhook inbox</th>
            <td>{`${status.deliveries.waiting} waiting, ${status.deliveries.dead.length} dead`}</td>
          </tr>
          <tr>
            <th scope="row">Label sweep</th>
            <td>
              {status.sweep === null
                ? "never run"
                : `last finished ${iso(status.sweep.lastFinishedAt)}: ${status.sweep.issues} issue(s) due, ${status.sweep.changed} relabelled${status.sweep.error ? `; stopped early: ${status.sweep.error}` : ""}${status.sweep.runningSince ? `; running since ${iso(status.sweep.runningSince)}` : ""}; next ${iso(status.sweep.nextRunAt)}`}
            </td>
          </tr>
          <tr>
            <th scope="row">Backfills</th>
            <td>{`${status.backfills.done} done, ${status.backfills.pending + status.backfills.running} to do (${status.backfills.running} running), ${status.backfills.failed} failed${status.backfills.waitingForGithubUntil === null ? "" : `; waiting for GitHub's rate limit until ${iso(status.backfills.waitingForGithubUntil)}`}`}</td>
          </tr>
        </tbody>
      </table>

      <h2 id="jobs">Background work</h2>
      <table aria-labelledby="jobs">
        <thead>
          <tr>
            <th scope="col">Work</th>
            <th scope="col" class="num">
              Pending
            </th>
            <th scope="col" class="num">
              Running
            </th>
            <th scope="col" class="num">
              Dead
            </th>
          </tr>
        </thead>
        <tbody>
          {status.jobs.map((kind) => (
            <tr>
              <th scope="row">{kind.title}</th>
              <td class="num">{kind.pending}</td>
              <td class="num">{kind.running}</td>
              <td class="num">{kind.dead}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {status.jobs.some((kind) => kind.retriable && kind.dead > 0) && (
        <form method="post" action="/closeloop/ops/retry">
          <input type="hidden" name="_csrf" value={props.viewer.csrf} />
          <input type="hidden" name="job" value="dead" />
          <p>
            <button type="submit" class="primary">
              Retry every dead job
            </button>
          </p>
        </form>
      )}

      <h2 id="queues">Helpdesk queues</h2>
      <table aria-labelledby="queues">
        <thead>
          <tr>
            <th scope="col">Helpdesk</th>
            <th scope="col">Work</th>
            <th scope="col" class="num">
              Queued
            </th>
            <th scope="col" class="num">
              Running
            </th>
            <th scope="col" class="num">
              Done
            </th>
            <th scope="col" class="num">
              Dead
            </th>
          </tr>
        </thead>
        <tbody>
          {[
            ...status.reopen.providers.map((q) => ({ ...q, work: "reopen" })),
            ...status.linkNotes.providers.map((q) => ({ ...q, work: "link note" })),
            ...status.enrichment.providers.map((q) => ({ ...q, work: "read for labels" })),
          ].map((q) => (
            <tr>
              <th scope="row">{providerName(q.provider)}</th>
              <td>{q.work}</td>
              <td class="num">{q.queued}</td>
              <td class="num">{q.running}</td>
              <td class="num">{q.done}</td>
              <td class="num">{q.dead}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2 id="dead">Dead reopen jobs</h2>
      {status.reopen.dead.length === 0 ? (
        <p>No dead reopen job.</p>
      ) : (
        <>
          <table aria-labelledby="dead">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Job
                </th>
                <th scope="col">Issue</th>
                <th scope="col">Conversation</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last error</th>
                <th scope="col">Dead since</th>
                <th scope="col">Retry</th>
              </tr>
            </thead>
            <tbody>
              {status.reopen.dead.map((job) => (
                <tr>
                  <th scope="row" class="num">
                    {job.id}
                  </th>
                  <td>{job.issue}</td>
                  <td>{`${providerName(job.provider)} ${job.conversationId}`}</td>
                  <td class="num">{job.attempts}</td>
                  <td class="error">{job.error ?? ""}</td>
                  <td>{iso(job.deadAt)}</td>
                  <td>
                    <form method="post" action="/closeloop/ops/retry">
                      <input type="hidden" name="_csrf" value={props.viewer.csrf} />
                      <input type="hidden" name="job" value={String(job.id)} />
                      <button type="submit" aria-label={`Retry job ${job.id}`}>
                        Retry
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      {status.reopen.refused.count > 0 && (
        <>
          <h2 id="refused">Closes that reopened nothing (closer lacked reopen.by): {status.reopen.refused.count}</h2>
          <table aria-labelledby="refused">
            <thead>
              <tr>
                <th scope="col">Issue</th>
                <th scope="col">Closed</th>
                <th scope="col">By</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {status.reopen.refused.latest.map((close) => (
                <tr>
                  <th scope="row">{close.issue}</th>
                  <td>{iso(close.closedAt)}</td>
                  <td>{close.closedBy ?? "—"}</td>
                  <td>{close.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2 id="deliveries">Dead webhook deliveries</h2>
      {status.deliveries.dead.length === 0 ? (
        <p>None.</p>
      ) : (
        <table aria-labelledby="deliveries">
          <thead>
            <tr>
              <th scope="col">Delivery</th>
              <th scope="col">Event</th>
              <th scope="col" class="num">
                Attempts
              </th>
              <th scope="col">Error</th>
              <th scope="col">Dead since</th>
            </tr>
          </thead>
          <tbody>
            {status.deliveries.dead.map((d) => (
              <tr>
                <th scope="row">{d.id}</th>
                <td>{d.event}</td>
                <td class="num">{d.attempts}</td>
                <td class="error">{d.error ?? ""}</td>
                <td>{iso(d.deadAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 id="errors">Config, permission and backfill errors</h2>
      {status.configErrors.length +
        status.labelErrors.length +
        status.projectErrors.length +
        status.backfills.failures.length ===
      0 ? (
        <p>None.</p>
      ) : (
        <table aria-labelledby="errors">
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Kind</th>
              <th scope="col">Error</th>
              <th scope="col">Seen</th>
            </tr>
          </thead>
          <tbody>
            {status.configErrors.map((e) => (
              <tr>
                <th scope="row">{e.repository}</th>
                <td>{`config ${e.path}${e.commitSha ? ` in ${e.commitSha.slice(0, 7)}` : ""}`}</td>
                <td class="error">{e.message}</td>
                <td>{iso(e.seenAt)}</td>
              </tr>
            ))}
            {status.labelErrors.map((e) => (
              <tr>
                <th scope="row">{e.repository}</th>
                <td>cannot write labels</td>
                <td class="error">{e.message}</td>
                <td>{iso(e.seenAt)}</td>
              </tr>
            ))}
            {status.projectErrors.map((e) => (
              <tr>
                <th scope="row">{e.repository}</th>
                <td>{`cannot keep the project field (${e.url})`}</td>
                <td class="error">{e.message}</td>
                <td>{iso(e.seenAt)}</td>
              </tr>
            ))}
            {status.backfills.failures.map((f) => (
              <tr>
                <th scope="row">{f.repository}</th>
                <td>backfill</td>
                <td class="error">{f.error ?? ""}</td>
                <td>{iso(f.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.children}
    </Layout>
  );
}
