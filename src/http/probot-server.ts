import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { getPrivateKey } from "@probot/get-private-key";
import { Probot, Server, type ApplicationFunction, type Logger } from "probot";
import { githubApiUrl } from "../config/env.js";
import { webhooksReceived } from "../metrics.js";
import { readBody } from "./request-body.js";

/** GitHub caps a webhook payload at 25 MB (docs.github.com, "Webhook events and payloads"): anything larger is not GitHub. */
export const GITHUB_MAX_BODY_BYTES = 25 * 1024 * 1024;
const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";

/**
 * What Probot's `run` does for a registered app (the same variables: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH,
 * WEBHOOK_SECRET, GHE_HOST, HOST, PORT, WEBHOOK_PATH, WEBHOOK_PROXY_URL), done here to reach the HTTP server: Probot's
 * webhook middleware reads the whole body into memory before it checks the signature, with no limit, so the body of a
 * webhook request is read here first, up to GITHUB_MAX_BODY_BYTES, and handed to the middleware already read.
 */
export async function startServer(
  app: ApplicationFunction,
  log: Logger,
  env: Record<string, string | undefined>,
): Promise<Server> {
  const webhookPath = env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH;
  const server = new Server({
    host: env.HOST,
    port: Number(env.PORT) || 3000,
    webhookPath,
    webhookProxy: env.WEBHOOK_PROXY_URL,
    log,
    Probot: Probot.defaults({
      appId: Number(env.APP_ID),
      privateKey: getPrivateKey({ env })?.toString(),
      secret: env.WEBHOOK_SECRET,
      // The environment was validated at start: GHE_PROTOCOL is unset (https), "https" or "http".
      baseUrl: githubApiUrl({ GHE_HOST: env.GHE_HOST, GHE_PROTOCOL: env.GHE_PROTOCOL === "http" ? "http" : "https" }),
      log,
    }),
  });
  await server.load(app);
  limitWebhookBodies(await server.start(), webhookPath, GITHUB_MAX_BODY_BYTES, log);
  return server;
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Puts a reader in front of the server's request listener (Probot's): a POST to the webhook path is read up to
 * `limit` bytes, then passed on with `request.body` set, which @octokit/webhooks' middleware takes instead of reading
 * the stream. A larger body is answered 413 without being kept, before any signature check, logged and counted.
 */
export function limitWebhookBodies(http: HttpServer, webhookPath: string, limit: number, log: Logger): void {
  const listeners = http.listeners("request") as RequestListener[];
  http.removeAllListeners("request");
  const pass = (request: IncomingMessage, response: ServerResponse) =>
    listeners.forEach((listener) => listener(request, response));
  const path = withoutTrailingSlashes(webhookPath);
  http.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "POST" || pathOf(request.url) !== path) return pass(request, response);
    readBody(request, limit).then(
      (body) => {
        if (body !== null) return pass(Object.assign(request, { body: body.toString("utf8") }), response);
        log.warn(`github webhook: refused (413): body larger than ${limit} bytes`);
        webhooksReceived.inc({ event: "unknown", outcome: "too_large" });
        response
          .writeHead(413, { "content-type": "application/json; charset=utf-8", connection: "close" })
          .end(JSON.stringify({ error: `body larger than ${limit} bytes` }));
      },
      () => response.destroy(),
    );
  });
}

// As @octokit/webhooks' middleware compares paths, so every request it would take is read here first.
function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(withoutTrailingSlashes(url ?? ""), "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

function withoutTrailingSlashes(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}
