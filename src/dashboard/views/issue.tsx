import { DEFAULT_CONFIG } from "../../config/repo-config.js";
import { answerState, formatAge } from "../../domain/answers.js";
import { agentUrl, providerName } from "../../providers/registry.js";
import type { WatchView } from "../../store/answers.js";
import type { IssueView, ReopenView } from "../../store/dashboard.js";
import { ReportsChart } from "./chart.js";
import { Label, Layout, When, type HeaderViewer } from "./layout.js";

/**
 * A label's colour: the frequency labels' configured default colours (`frequency.*.color`), else GitHub's grey for a
 * label created without one, as team labels are (src/domain/label-plan.ts).
 */
export function labelColor(name: string): string {
  const key = name.toLowerCase();
  for (const rule of [DEFAULT_CONFIG.frequency.daily, DEFAULT_CONFIG.frequency.weekly])
    if (rule.label.toLowerCase() === key) return rule.color;
  return "ededed";
}

/** The issue page: its linked conversations, reports over time, and after a close each conversation's reopen. */
export function IssuePage(props: {
  viewer: HeaderViewer;
  issue: IssueView;
  githubUrl: string;
  perDay: number[];
  chartDays: number;
  now: Date;
}) {
  const { issue } = props;
  const name = `${issue.owner}/${issue.name}#${issue.number}`;
  return (
    <Layout title={name} viewer={props.viewer} section={null}>
      <h1>
        {issue.title ?? name} <span class="muted">{issue.title ? name : ""}</span>
      </h1>
      <p>
        <a href={props.githubUrl}>Open on GitHub</a> · {issue.state === "closed" ? "Closed" : "Open"} ·{" "}
        {issue.links.length} linked conversation{issue.links.length === 1 ? "" : "s"}{" "}
        {issue.labels.map((label) => (
          <Label name={label} color={labelColor(label)} />
        ))}
      </p>
      <h2 id="reports">Reports per day, last {props.chartDays} days</h2>
      <ReportsChart
        perDay={props.perDay}
        width={Math.max(180, props.chartDays * 6)}
        height={60}
        label={`Reports per day for ${name}`}
      />
      <h2 id="conversations">Linked conversations</h2>
      {issue.links.length === 0 ? (
        <p class="muted">No conversation is linked to this issue.</p>
      ) : (
        <table aria-labelledby="conversations">
          <thead>
            <tr>
              <th scope="col">Helpdesk</th>
              <th scope="col">Conversation</th>
              <th scope="col">Source</th>
              <th scope="col">Linked</th>
              <th scope="col">Reported</th>
              <th scope="col">Team</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {issue.links.map((link) => (
              <tr>
                <td>{providerName(link.provider)}</td>
                <th scope="row">
                  <a href={agentUrl(link)} rel="noreferrer">
                    {link.conversationId}
                  </a>
                </th>
                <td>{link.source}</td>
                <td>
                  <When at={link.linkedAt} />
                </td>
                <td>
                  <When at={link.reportedAt} />
                </td>
                <td>{link.team ?? <span class="muted">—</span>}</td>
                <td>{link.tags.length > 0 ? link.tags.join(", ") : <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {issue.closes.map((close, index) => (
        <section aria-labelledby={`close-${index}`}>
          <h2 id={`close-${index}`}>
            Closed <When at={close.closedAt} /> ({close.reason.replace("_", " ")})
            {close.closedBy ? ` by ${close.closedBy}` : ""}
          </h2>
          {!close.reopen ? (
            <p>Reopened nothing: {close.refusal ?? `its reason (${close.reason}) is not in reopen.on`}.</p>
          ) : (
            <ReopenTable
              jobs={close.jobs}
              watches={close.watches}
              now={props.now}
              caption="Each linked conversation's reopen, and whether an agent has answered the customer since"
            />
          )}
        </section>
      ))}
    </Layout>
  );
}

/**
 * A close's reopen jobs: done (or a follow-up ticket instead, linked), pending (with attempts), dead with its reason;
 * and for each reopened conversation whether an agent answered the customer since (docs/answers.md).
 */
export function ReopenTable(props: {
  jobs: readonly ReopenView[];
  watches: readonly WatchView[];
  now: Date;
  caption: string;
}) {
  if (props.jobs.length === 0) return <p class="muted">No conversation was linked when it closed.</p>;
  const watches = new Map(props.watches.map((watch) => [watch.reopenJobId, watch]));
  return (
    <table>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Helpdesk</th>
          <th scope="col">Conversation</th>
          <th scope="col">Reopen</th>
          <th scope="col" class="num">
            Attempts
          </th>
          <th scope="col">Why it failed</th>
          <th scope="col">Settled</th>
          <th scope="col">Answer</th>
        </tr>
      </thead>
      <tbody>
        {props.jobs.map((job) => (
          <tr>
            <td>{providerName(job.provider)}</td>
            <th scope="row">
              <a href={agentUrl(job)} rel="noreferrer">
                {job.conversationId}
              </a>
            </th>
            <td class={`state-${job.state}`}>
              {job.state === "dead" ? "failed (dead)" : job.state}
              {job.followUpId !== null && (
                <>
                  {" "}
                  (closed for good: follow-up{" "}
                  <a href={agentUrl({ ...job, conversationId: job.followUpId })} rel="noreferrer">
                    {job.followUpId}
                  </a>
                  )
                </>
              )}
            </td>
            <td class="num">{job.attempts}</td>
            <td>
              {job.state === "dead" || job.lastError ? (
                `${job.lastError ?? ""}${job.lastStatus ? ` (HTTP ${job.lastStatus})` : ""}`
              ) : (
                <span class="muted">—</span>
              )}
            </td>
            <td>
              <When at={job.finishedAt} />
            </td>
            <td>
              <Answer watch={watches.get(job.id)} now={props.now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const ANSWER_WORDS = { answered: "answered after", closed: "closed without an answer after", waiting: "waiting for" };

/** "answered after 3 hours", "waiting for 2 days (reminded)", "closed without an answer after 40 minutes". */
function Answer(props: { watch: WatchView | undefined; now: Date }) {
  if (props.watch === undefined) return <span class="muted">—</span>;
  const answer = answerState(props.watch, props.now);
  return (
    <span class={`answer-${answer.state}`}>
      {`${ANSWER_WORDS[answer.state]} ${formatAge(answer.seconds * 1000)}`}
      {answer.reminded && <span class="muted"> (reminded)</span>}
    </span>
  );
}
