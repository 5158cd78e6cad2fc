import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from "@octokit/oauth-methods";
import { Octokit } from "@octokit/rest";

/**
 * What the dashboard asks of GitHub for a person, with the app's OAuth client and then their user token
 * (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
 * Failures are thrown as Octokit threw them (read them with `./errors.js`).
 */

/** Failures are thrown and reported by the caller; Octokit's own request log would print them a second time. */
const QUIET = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The app's OAuth client (its GitHub App client id and secret). */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** Where the browser is sent to sign in; GHE's web host follows from its API URL. */
export function signInUrl(apiUrl: string, clientId: string, redirectUrl: string, state: string): URL {
  const request = new Octokit({ baseUrl: apiUrl, log: QUIET }).request;
  const { url } = getWebFlowAuthorizationUrl({ clientType: "github-app", clientId, redirectUrl, state, request });
  return new URL(url);
}

/**
 * Exchanges the callback's code for the person's user token; the PKCE verifier rides along as one more body
 * parameter of the exchange. `expiresAt` is null when GitHub issued a token that does not expire.
 */
export async function exchangeSignInCode(
  apiUrl: string,
  client: OAuthClient,
  sign: { code: string; redirectUrl: string; verifier: string },
): Promise<{ token: string; expiresAt: number | null }> {
  const request = new Octokit({ baseUrl: apiUrl, log: QUIET }).request;
  const { authentication } = await exchangeWebFlowCode({
    clientType: "github-app",
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    code: sign.code,
    redirectUrl: sign.redirectUrl,
    request: request.defaults({ code_verifier: sign.verifier }),
  });
  const expiresAt =
    "expiresAt" in authentication && authentication.expiresAt ? new Date(authentication.expiresAt).getTime() : null;
  return { token: authentication.token, expiresAt };
}

/** The person the token is for (GET /user). */
export async function readTokenUser(apiUrl: string, token: string): Promise<{ login: string; id: number }> {
  const { data } = await new Octokit({ auth: token, baseUrl: apiUrl, log: QUIET }).rest.users.getAuthenticated();
  return { login: data.login, id: data.id };
}

/**
 * The ids of the repositories GitHub lists for the token under this app's installations: `GET /user/installations`,
 * then `GET /user/installations/{id}/repositories` for each, a page of 100 at a time.
 */
export async function listTokenRepositoryIds(apiUrl: string, token: string): Promise<Set<bigint>> {
  const octokit = new Octokit({ auth: token, baseUrl: apiUrl, userAgent: "closeloop-dashboard", log: QUIET });
  const installations = await octokit.paginate("GET /user/installations", { per_page: 100 });
  const ids = new Set<bigint>();
  for (const installation of installations) {
    const repositories = await octokit.paginate("GET /user/installations/{installation_id}/repositories", {
      installation_id: installation.id,
      per_page: 100,
    });
    for (const repository of repositories) ids.add(BigInt(repository.id));
  }
  return ids;
}
