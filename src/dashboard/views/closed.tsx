import { formatAge, summariseAnswersByClose } from "../../domain/answers.js";
import type { ClosedIssueView } from "../../store/dashboard.js";
import type { StoredConversation } from "../../providers/provider.js";
import { agentUrl, providerName } from "../../providers/registry.js";
import { Layout, When, type HeaderViewer } from "./layout.js";

/**
 * Recently closed issues: how many conversations each close reopened, whether an agent answered each reopened
 * customer (answered, waiting, closed without an answer; the median time to answer), who still waits and for how
 * long, and which reopens failed and why: a rep's list of customers to get back to.
 */
export function ClosedPage(props: {
  viewer: HeaderViewer;
  closes: readonly ClosedIssueView[];
  days: number;
  now: Date;
}) {
  const answers = summariseAnswersByClose(
    props.closes.flatMap((close) => close.watches),
    props.now,
  );
  return (
    <Layout title="Recently closed" viewer={props.viewer} section="closed">
      <h1>Recently closed</h1>
      <p class="muted">
        Issues closed in the last {props.days} days, the conversations their close reopened, and whether an agent has
        answered each customer since. A customer still waiting, or a failed reopen, is someone to get back to.
      </p>
      {props.closes.length === 0 ? (
        <p>No issue you can read was closed in the last {props.days} days.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Issue</th>
              <th scope="col">Closed</th>
              <th scope="col" class="num">
                Reopened
              </th>
              <th scope="col" class="num">
                Answered
              </th>
              <th scope="col" class="num">
                Waiting
              </th>
              <th scope="col" class="num">
                Closed without answer
              </th>
              <th scope="col" class="num">
                Median time to answer
              </th>
              <th scope="col">Still waiting</th>
              <th scope="col">Failed, and why</th>
            </tr>
          </thead>
          <tbody>
            {props.closes.map((close) => {
              const name = `${close.owner}/${close.name}#${close.number}`;
              const answered = answers.get(close.closeId);
              const counts = answered?.counts ?? { answered: 0, waiting: 0, closed: 0 };
              return (
                <tr>
                  <th scope="row">
                    <a
                      href={`/closeloop/issues/${encodeURIComponent(close.owner)}/${encodeURIComponent(close.name)}/${close.number}`}
                    >
                      {close.title ?? name}
                    </a>
                    {close.title !== null && <div class="muted">{name}</div>}
                  </th>
                  <td>
                    <When at={close.closedAt} /> ({close.reason.replace("_", " ")})
                  </td>
                  <td class="num">
                    {close.reopen ? (
                      <>
                        {close.done}
                        {close.pending > 0 && <span class="muted">{` (${close.pending} pending)`}</span>}
                      </>
                    ) : (
                      <span class="muted" title={close.refusal ?? undefined}>
                        not reopened
                      </span>
                    )}
                  </td>
                  <td class="num">{counts.answered}</td>
                  <td class="num">{counts.waiting}</td>
                  <td class="num">{counts.closed}</td>
                  <td class="num">
                    {answered?.medianSeconds == null ? (
                      <span class="muted">—</span>
                    ) : (
                      formatAge(answered.medianSeconds * 1000)
                    )}
                  </td>
                  <td>
                    {answered === undefined || answered.waiting.length === 0 ? (
                      <span class="muted">nobody</span>
                    ) : (
                      <ul>
                        {answered.waiting.map((watch) => (
                          <li>
                            <Conversation of={watch} /> for {formatAge(watch.waitingSeconds * 1000)}
                            {watch.reminded && <span class="muted"> (reminded)</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    {close.failed.length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      <ul>
                        {close.failed.map((job) => (
                          <li>
                            <Conversation of={job} />: <span class="error">{job.lastError ?? "failed"}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** "Zendesk 4006", the id a link that opens the conversation in its helpdesk. */
function Conversation(props: { of: StoredConversation & { provider: string } }) {
  return (
    <>
      {providerName(props.of.provider)}{" "}
      <a href={agentUrl(props.of)} rel="noreferrer">
        {props.of.conversationId}
      </a>
    </>
  );
}
