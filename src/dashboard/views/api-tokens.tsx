import type { ListedApiToken } from "../../store/api-tokens.js";
import { Layout, type HeaderViewer } from "./layout.js";

const iso = (at: Date | null) => (at === null ? "—" : `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`);

/** The operations page's API tokens: each with who made it, what it reads, when it was last used; revoke; create. */
export function ApiTokensSection(props: { viewer: HeaderViewer; tokens: ListedApiToken[] }) {
  return (
    <>
      <h2 id="api-tokens">API tokens</h2>
      <p>
        A token reads the impact ranking as JSON (<code>/closeloop/api/issues</code>) and CSV (
        <code>/closeloop/?format=csv</code>) for a script, with <code>Authorization: Bearer &lt;token&gt;</code>: the
        repositories its creator can read, nothing else, and never a page or a form.
      </p>
      {props.tokens.length === 0 ? (
        <p>No API token.</p>
      ) : (
        <table aria-labelledby="api-tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created by</th>
              <th scope="col" class="num">
                Repositories
              </th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoke</th>
            </tr>
          </thead>
          <tbody>
            {props.tokens.map((token) => (
              <tr>
                <th scope="row">{token.name}</th>
                <td>{token.createdBy}</td>
                <td class="num">{token.repositories}</td>
                <td>{iso(token.createdAt)}</td>
                <td>{iso(token.lastUsedAt)}</td>
                <td>
                  {token.revokedAt !== null ? (
                    `revoked ${iso(token.revokedAt)}`
                  ) : (
                    <form method="post" action="/closeloop/ops/tokens/revoke">
                      <input type="hidden" name="_csrf" value={props.viewer.csrf} />
                      <input type="hidden" name="token" value={String(token.id)} />
                      <button type="submit" aria-label={`Revoke the API token ${token.name}`}>
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action="/closeloop/ops/tokens">
        <input type="hidden" name="_csrf" value={props.viewer.csrf} />
        <p>
          <label for="token-name">New token's name </label>
          <input id="token-name" name="name" required maxlength={100} placeholder="weekly product export" />{" "}
          <button type="submit" class="primary">
            Create API token
          </button>
        </p>
      </form>
    </>
  );
}

/** The one time a token is shown: its value and how a script sends it. */
export function ApiTokenCreatedPage(props: { viewer: HeaderViewer; name: string; token: string; publicUrl: string }) {
  const curl = `curl -H "Authorization: Bearer ${props.token}" "${props.publicUrl}/closeloop/api/issues?days=30"`;
  return (
    <Layout title="API token created" viewer={props.viewer} section="ops">
      <h1>API token created</h1>
      <p role="status">
        {`The token "${props.name}" is below. Copy it now: it is shown only this once (closeloop keeps only its hash).`}
      </p>
      <p>
        <input aria-label="API token" readonly size={60} value={props.token} />
      </p>
      <p>A script reads the ranking with it:</p>
      <pre>
        <code>{curl}</code>
      </pre>
      <p>
        <a href="/closeloop/ops#api-tokens">Back to the operations page</a>
      </p>
    </Layout>
  );
}
