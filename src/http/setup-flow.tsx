import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSX } from "hono/jsx/jsx-runtime";
import { Probot, Server, type Logger } from "probot";
import { parse as parseYaml } from "yaml";
import { githubApiUrl, githubWebUrl, type Env } from "../config/env.js";
import { writeDotEnv } from "../config/dotenv.js";
import { setupHealthRoutes } from "./health.js";
import {
  appDefinition,
  appManifest,
  registrationUrl,
  SETUP_CALLBACK_PATH,
  webhookUrl,
  type AppDefinition,
  type ManifestAddresses,
} from "../domain/app-manifest.js";

const APP_YML = new URL("../../app.yml", import.meta.url);
const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";

export interface SetupFlowOptions {
  env: Env;
  /** the raw environment: Probot's WEBHOOK_PROXY_URL and WEBHOOK_PATH, and whether CLOSELOOP_DRY_RUN was set */
  source: Record<string, string | undefined>;
  log: Logger;
  /** where the new app's credentials go (`.env` in the working folder) */
  writeEnv?: (values: Record<string, string>) => void;
  app?: AppDefinition;
}

/** What GitHub's manifest conversion answers (docs.github.com, "Create a GitHub App from a manifest"): the fields kept. */
interface Conversion {
  id: number;
  html_url: string;
  pem: string;
  webhook_secret: string;
  client_id: string;
  client_secret: string;
  owner?: { login?: string };
}

/** app.yml, the one definition of the app's name, events and permissions (README, The first 15 minutes). */
export function readAppDefinition(): AppDefinition {
  return appDefinition.parse(parseYaml(readFileSync(APP_YML, "utf8")));
}

/**
 * Without GitHub App credentials, `npm start` serves the manifest flow instead of the app: `/` shows what will be
 * registered and where, its button posts the manifest to GitHub (on GH_ORG's organisation when set, as Probot does),
 * and GitHub sends the browser back to `/probot/setup` with a code that this exchanges for the app's credentials,
 * written to `.env`. Probot's own flow is not used: it registers the webhook at the browser's address (not
 * /api/github/webhooks, and never the public one) with app.yml's fixed OAuth callback.
 */
export function setupFlowHandler(options: SetupFlowOptions) {
  const { env, log } = options;
  const app = options.app ?? readAppDefinition();
  const writeEnv = options.writeEnv ?? ((values) => writeDotEnv(values));
  // GitHub hands the state back with the code (manifest flow, step 1): a callback that does not carry it did not
  // come from this flow, and its code is not exchanged.
  const state = randomBytes(16).toString("hex");
  const addresses = manifestAddresses(env, options.source);
  let registered: string | null = null;

  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if (request.method !== "GET") return false;
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/" || url.pathname === "/probot") {
      const manifest = appManifest(app, { ...addresses, browserUrl: browserUrl(request) });
      const action = registrationUrl(githubWebUrl(env), env.GH_ORG, state);
      await sendHtml(
        response,
        200,
        setupPage({ manifest: JSON.stringify(manifest), action, env, registered, addresses }),
      );
      return true;
    }
    if (url.pathname !== SETUP_CALLBACK_PATH) return false;
    const code = url.searchParams.get("code");
    if (!code || !/^[\w-]{1,100}$/.test(code) || url.searchParams.get("state") !== state) {
      await sendHtml(
        response,
        400,
        <p>This is not a registration this setup started: open / and register from there.</p>,
      );
      return true;
    }
    let created: Conversion;
    try {
      created = await convertManifest(githubApiUrl(env), code);
    } catch (error) {
      const reason = `GitHub did not hand over the new app: ${(error as Error).message}`;
      log.error(`closeloop setup: ${reason}`);
      await sendHtml(response, 502, <p>{reason}. Register it again from /.</p>);
      return true;
    }
    writeEnv({
      APP_ID: String(created.id),
      PRIVATE_KEY: created.pem,
      WEBHOOK_SECRET: created.webhook_secret,
      GITHUB_CLIENT_ID: created.client_id,
      GITHUB_CLIENT_SECRET: created.client_secret,
      // The first try writes nothing into a real customer's conversation until the person turns it off.
      ...(options.source.CLOSELOOP_DRY_RUN === undefined && { CLOSELOOP_DRY_RUN: "true" }),
    });
    registered = created.html_url;
    const owner = created.owner?.login ? `, owned by ${created.owner.login}` : "";
    log.info(
      `closeloop setup: registered ${created.html_url} (app ${created.id}${owner}); its credentials are in .env: ` +
        "stop this process and run npm start again",
    );
    response.writeHead(302, { location: `${created.html_url}/installations/new` }).end();
    return true;
  };
}

/** Starts Probot's server with the setup flow's routes only (Probot needs some app credentials to construct). */
export async function startSetupFlow(options: SetupFlowOptions): Promise<Server> {
  const server = new Server({
    host: options.env.HOST,
    port: options.env.PORT,
    log: options.log,
    Probot: Probot.defaults({
      appId: 1,
      privateKey: "unused: the setup flow calls GitHub without the app",
      log: options.log,
    }),
  });
  const handler = setupFlowHandler(options);
  await server.loadHandlerFactory(() => handler);
  server.addHandler(setupHealthRoutes());
  await server.start();
  const addresses = manifestAddresses(options.env, options.source);
  const hook = webhookUrl(addresses);
  const owner = options.env.GH_ORG
    ? `the organisation ${options.env.GH_ORG}`
    : "your own account (set GH_ORG=<organisation> to register it on an organisation: a private app installs only where it is registered)";
  options.log.info(
    `closeloop setup: no GitHub App credentials. Open ${addresses.localUrl}/ to register the app on ${owner}`,
  );
  if (hook.reachable) options.log.info(`closeloop setup: GitHub will send webhooks to ${hook.url}`);
  else
    options.log.warn(
      `closeloop setup: CLOSELOOP_PUBLIC_URL is not set, so GitHub would send webhooks to ${hook.url}, which it cannot reach: ` +
        "start a tunnel to this port and set CLOSELOOP_PUBLIC_URL to its https:// address (README, The first 15 minutes)",
    );
  return server;
}

function manifestAddresses(
  env: Env,
  probotEnv: Record<string, string | undefined>,
): Omit<ManifestAddresses, "browserUrl"> {
  return {
    publicUrl: env.CLOSELOOP_PUBLIC_URL,
    webhookProxyUrl: probotEnv.WEBHOOK_PROXY_URL || undefined,
    localUrl: `http://localhost:${env.PORT}`,
    webhookPath: probotEnv.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH,
  };
}

/** POST /app-manifests/{code}/conversions: no authentication, the one-hour code is the proof. */
async function convertManifest(apiUrl: string, code: string): Promise<Conversion> {
  const response = await fetch(`${apiUrl}/app-manifests/${code}/conversions`, {
    method: "POST",
    headers: { accept: "application/vnd.github+json", "user-agent": "closeloop" },
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<Conversion> & { message?: string };
  if (!response.ok) throw new Error(`${response.status} ${body.message ?? response.statusText}`);
  if (!body.id || !body.pem || !body.webhook_secret || !body.html_url || !body.client_id || !body.client_secret)
    throw new Error("the answer lacks the app's id, key, webhook secret or OAuth client");
  return body as Conversion;
}

/** The browser's own address for this server, so GitHub sends it back here (as Probot's flow does). */
function browserUrl(request: IncomingMessage): string {
  const forwarded = request.headers["x-forwarded-proto"];
  const protocol =
    (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim() === "https" ? "https" : "http";
  const host = request.headers["x-forwarded-host"];
  return `${protocol}://${(Array.isArray(host) ? host[0] : host) ?? request.headers.host ?? "localhost"}`;
}

function setupPage(props: {
  manifest: string;
  action: string;
  env: Env;
  registered: string | null;
  addresses: Omit<ManifestAddresses, "browserUrl">;
}): JSX.Element {
  const hook = webhookUrl(props.addresses);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Register closeloop</title>
      </head>
      <body>
        <h1>Register closeloop as a GitHub App</h1>
        {props.registered && (
          <p>
            Registered: <a href={props.registered}>{props.registered}</a>. Its credentials are in <code>.env</code>:
            stop this process and run <code>npm start</code> again.
          </p>
        )}
        <ul>
          <li>
            Owner:{" "}
            {props.env.GH_ORG ? (
              <>
                the organisation <b>{props.env.GH_ORG}</b>
              </>
            ) : (
              <>
                your own account. The app is private: it can be installed only on the account that registers it. To use
                it on an organisation, stop this process and start it with <code>GH_ORG=&lt;organisation&gt;</code>.
              </>
            )}
          </li>
          <li>
            Webhook URL: <code>{hook.url}</code>
            {!hook.reachable && (
              <>
                {" "}
                (GitHub cannot reach this machine: start a tunnel and set <code>CLOSELOOP_PUBLIC_URL</code> to its
                address first)
              </>
            )}
          </li>
        </ul>
        <form action={props.action} method="post">
          <input type="hidden" name="manifest" value={props.manifest} />
          <button type="submit">Register GitHub App</button>
        </form>
      </body>
    </html>
  );
}

async function sendHtml(response: ServerResponse, status: number, page: JSX.Element): Promise<void> {
  response
    .writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
    .end(`<!doctype html>${await page}`);
}
