import type { ClosedIssueView } from "../../store/dashboard.js";
import { agentUrl, providerName } from "../../providers/registry.js";
import { Layout, When, type HeaderViewer } from "./layout.js";

/** Recently closed issues: how many conversations were reopened, which wait, which failed and why. */
export function ClosedPage(props: { viewer: HeaderViewer; closes: readonly ClosedIssueView[]; days: number }) {
  return (
    <Layout title="Recently closed" viewer={props.viewer} section="closed">
      <h1>Recently closed</h1>
      <p class="muted">
        Issues closed in the last {props.days} days and the conversations their close reopened. A failed reopen is a
        customer to get back to by hand.
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
                Waiting
              </th>
              <th scope="col">Failed, and why</th>
            </tr>
          </thead>
          <tbody>
            {props.closes.map((close) => {
              const name = `${close.owner}/${close.name}#${close.number}`;
              return (
                <tr>
                  <th scope="row">
                    <a
                      href={`/closeloop/issues/${encodeURIComponent(close.owner)}/${encodeURIComponent(close.name)}/${close.number}`}
                    >
                      {name}
                    </a>
                  </th>
                  <td>
                    <When at={close.closedAt} /> ({close.reason.replace("_", " ")})
                  </td>
                  <td class="num">
                    {close.reopen ? (
                      close.done
                    ) : (
                      <span class="muted" title={close.refusal ?? undefined}>
                        not reopened
                      </span>
                    )}
                  </td>
                  <td class="num">{close.pending}</td>
                  <td>
                    {close.failed.length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      <ul>
                        {close.failed.map((job) => (
                          <li>
                            {providerName(job.provider)}{" "}
                            <a href={agentUrl(job)} rel="noreferrer">
                              {job.conversationId}
                            </a>
                            : <span class="error">{job.lastError ?? "failed"}</span>
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
