import { PROVIDERS } from "../../domain/link.js";
import {
  IMPACT_SORTS,
  IMPACT_STATES,
  impactQueryString,
  issuesCounted,
  pageOfPages,
  type ImpactQuery,
} from "../../domain/impact-query.js";
import { IMPACT_WINDOWS } from "../../domain/impact.js";
import type { ImpactPage } from "../impact.js";
import { ReportsChart } from "./chart.js";
import { providerName } from "../../providers/registry.js";
import { labelColor } from "./issue.js";
import { Label, Layout, When, type HeaderViewer } from "./layout.js";

const SORT_NAMES: Record<(typeof IMPACT_SORTS)[number], string> = {
  reports: "Reports",
  customers: "Customers",
  last: "Last report",
  age: "Age",
  waiting: "Still waiting",
};
const STATE_NAMES: Record<(typeof IMPACT_STATES)[number], string> = { open: "Open", closed: "Closed", all: "All" };

/** The impact page: the filters as a GET form (so the query is the URL), the ranking as a table, pages, CSV. */
export function ImpactPageView(props: {
  viewer: HeaderViewer;
  query: ImpactQuery;
  page: ImpactPage;
  error: string | null;
}) {
  const { query, page } = props;
  const link = (changes: Partial<ImpactQuery>) => {
    const search = impactQueryString({ ...query, ...changes });
    return `/closeloop/${search ? `?${search}` : ""}`;
  };
  const csv = impactQueryString(query);
  const pages = Math.max(1, Math.ceil(page.total / query.perPage));
  const pageOf = pageOfPages(query.page, query.perPage, page.total, page.totalCapped, page.nextPage);
  // Customers wait only after a close reopened them: a column for views of closed issues, or sorted by it.
  const waiting = query.state !== "open" || query.sort === "waiting";
  return (
    <Layout title="Impact" viewer={props.viewer} section="impact">
      <h1>Impact</h1>
      <form class="filters" method="get" action="/closeloop/" role="search" aria-label="Filter and sort the ranking">
        <label>
          Window
          <select name="days">
            {IMPACT_WINDOWS.map((days) => (
              <option value={String(days)} selected={query.days === days}>{`${days} days`}</option>
            ))}
          </select>
        </label>
        <label>
          Sort by
          <select name="sort">
            {IMPACT_SORTS.map((sort) => (
              <option value={sort} selected={query.sort === sort}>
                {SORT_NAMES[sort]}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select name="state">
            {IMPACT_STATES.map((state) => (
              <option value={state} selected={query.state === state}>
                {STATE_NAMES[state]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Repository
          <input type="text" name="repository" value={query.repository ?? ""} placeholder="owner/name" size={20} />
        </label>
        <label>
          Team
          <input type="text" name="team" value={query.team ?? ""} placeholder="team: billing" size={16} />
        </label>
        <label>
          Helpdesk
          <select name="helpdesk">
            <option value="" selected={query.helpdesk === null}>
              Any
            </option>
            {PROVIDERS.map((id) => (
              <option value={id} selected={query.helpdesk === id}>
                {providerName(id)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Label
          <input type="text" name="label" value={query.label ?? ""} placeholder="reported: daily" size={16} />
        </label>
        <button type="submit" class="primary">
          Apply
        </button>
        <a href="/closeloop/">Reset</a>
      </form>
      {props.error && (
        <p role="alert" class="error">
          {props.error}
        </p>
      )}
      {!page.complete && (
        <p role="status">
          Still counting: closeloop is counting the reports of issues linked before it was installed or upgraded, and
          this ranking leaves out those not counted yet. It is complete once this note is gone; reload in a minute.
        </p>
      )}
      <p>
        {`${issuesCounted(page.total, page.totalCapped)} with reports in the last ${query.days} days`} ·{" "}
        <a href={`/closeloop/?${csv ? `${csv}&` : ""}format=csv`} download="closeloop-impact.csv">
          Download CSV
        </a>{" "}
        · <a href={`/closeloop/api/issues${csv ? `?${csv}` : ""}`}>JSON</a>
      </p>
      {page.rows.length > 0 && (
        <table>
          <caption>{`Issues ranked by ${SORT_NAMES[query.sort].toLowerCase()}, page ${pageOf}`}</caption>
          <thead>
            <tr>
              <th scope="col">Issue</th>
              <th scope="col" class="num">
                Reports
              </th>
              <th scope="col" class="num">
                Customers
              </th>
              {waiting && (
                <th scope="col" class="num">
                  Still waiting
                </th>
              )}
              <th scope="col">Labels</th>
              <th scope="col">Helpdesks</th>
              <th scope="col">First report</th>
              <th scope="col">Last report</th>
              <th scope="col">{`Per day (${query.days} days)`}</th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((row) => {
              const [owner, name] = row.repository.split("/");
              return (
                <tr>
                  <th scope="row">
                    <a
                      href={`/closeloop/issues/${encodeURIComponent(owner ?? "")}/${encodeURIComponent(name ?? "")}/${row.number}`}
                    >
                      {row.title ?? `${row.repository}#${row.number}`}
                    </a>
                    <div class="muted">
                      {`${row.repository}#${row.number}`}
                      {row.state === "closed" ? " · closed" : ""}
                    </div>
                  </th>
                  <td class="num">{row.reports}</td>
                  <td class="num">{row.customers}</td>
                  {waiting && <td class="num">{row.waiting}</td>}
                  <td>
                    {row.frequency && <Label name={row.frequency} color={labelColor(row.frequency)} />}
                    {row.teams.map((team) => (
                      <Label name={team} color={labelColor(team)} />
                    ))}
                  </td>
                  <td>{row.helpdesks.map(providerName).join(", ")}</td>
                  <td>
                    <When at={row.firstReportAt} />
                  </td>
                  <td>
                    <When at={row.lastReportAt} />
                  </td>
                  <td>
                    <ReportsChart
                      perDay={row.perDay}
                      width={Math.max(90, row.perDay.length * 3)}
                      height={24}
                      label={`Reports per day for ${row.repository}#${row.number}`}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {(pages > 1 || query.page > 1 || page.nextPage) && (
        <nav class="pages" aria-label="Pages">
          {query.page > 1 && (
            <a href={link({ page: query.page - 1 })} rel="prev">
              Previous
            </a>
          )}
          <span>{`Page ${pageOf}`}</span>
          {page.nextPage && (
            <a href={link({ page: query.page + 1 })} rel="next">
              Next
            </a>
          )}
        </nav>
      )}
    </Layout>
  );
}
