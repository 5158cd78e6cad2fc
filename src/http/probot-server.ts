import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { getPrivateKey } from "@probot/get-private-key";
import { Probot, Server, type ApplicationFunction, type Logger } from "probot";
import { githubApiUrl } from "../config/env.js";
import { trimTrailingSlashes } from "../domain/trailing-slashes.js";
import { webhooksReceived } from "../metrics.js";
import {
  BUSY_RETRY_AFTER_SECONDS,
  isJsonContentType,
  readBody,
  refuse,
  sendJson,
  type BodyBudget,
} from "./request-body.js";
import type { ReceiveDelivery } from "./webhook-inbox.js";

/** GitHub caps a webhook payload at 25 MB (docs.github.com, "Webhook events and payloads"): anything larger is not GitHub. */
export const GITHUB_MAX_BODY_BYTES = 25 * 1024 * 1024;
const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";

/**
 * What Probot's `run` does for a registered app (the same variables: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH,
 * WEBHOOK_SECRET, GHE_HOST, HOST, PORT, WEBHOOK_PATH, WEBHOOK_PROXY_URL), done here to reach the HTTP server: GitHub's
 * deliveries are served by a front door of closeloop's own (`serveWebhooks`), in front of Probot's request listener,
 * its per-request logger and its webhook middleware (which reads a whole body with no limit, then runs the handlers
 * before answering).
 */
export async function startServer(
  app: ApplicationFunction,
  log: Logger,
  env: Record<string, string | undefined>,
  door: Pick<FrontDoor, "budget" | "receive" | "begun">,
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
  serveWebhooks(await server.start(), webhookPath, { maxBodyBytes: GITHUB_MAX_BODY_BYTES, ...door }, log);
  return server;
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** What @octokit/webhooks' middleware requires of a delivery; GitHub always sends all three. */
const GITHUB_WEBHOOK_HEADERS = ["x-github-event", "x-hub-signature-256", "x-github-delivery"] as const;

/** The webhook front door: its limits (the largest body, the bytes held at once over all requests, the time to send), and where a delivery goes. */
export interface FrontDoor {
  maxBodyBytes: number;
  budget: BodyBudget;
  timeoutMs?: number;
  receive: ReceiveDelivery;
  /** told when a request that carries GitHub's delivery headers begins, before its body is read (DeliveryInbox.begun) */
  begun?: () => void;
}

/**
 * Serves GitHub's deliveries ahead of the server's request listener (Probot's), which gets every other request. A
 * POST to the webhook path that cannot be a GitHub delivery is answered at once, before a byte of its body is read: a
 * content type that is not JSON (415), a missing signature or event header (400), a Content-Length over the limit
 * (413), or no room under the bytes being read at once (503 with Retry-After). The others are read up to the limit,
 * within the timeout (408), handed to `receive` (signature, then JSON, then the inbox) and answered as it says: 200
 * only once the delivery is committed, 500 when it could not be. Every refused delivery is logged as a warning and
 * every one that could not be stored as an error, without the headers; a stored one gets a line at debug only.
 */
export function serveWebhooks(http: HttpServer, webhookPath: string, door: FrontDoor, log: Logger): void {
  const listeners = http.listeners("request") as RequestListener[];
  http.removeAllListeners("request");
  const pass = (request: IncomingMessage, response: ServerResponse) =>
    listeners.forEach((listener) => listener(request, response));
  const path = withoutTrailingSlashes(webhookPath);
  const limit = door.maxBodyBytes;
  http.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "POST" || (request.url !== path && pathOf(request.url) !== path))
      return pass(request, response);
    const started = performance.now();
    const refused = (status: number, outcome: string, error: string, headers?: Record<string, string | number>) => {
      log.warn(`github webhook: refused (${status}): ${error}`);
      webhooksReceived.inc({ event: "unknown", outcome });
      refuse(response, status, { error }, headers);
    };
    if (!isJsonContentType(request))
      return refused(415, "invalid", 'Unsupported "Content-Type" header value. Must be "application/json"');
    const missing = GITHUB_WEBHOOK_HEADERS.filter((name) => request.headers[name] === undefined);
    if (missing.length > 0) return refused(400, "invalid", `Required headers missing: ${missing.join(", ")}`);
    const id = String(request.headers["x-github-delivery"]);
    const name = String(request.headers["x-github-event"]);
    const signature = String(request.headers["x-hub-signature-256"]);
    const what = () => `github webhook ${id} (${name})`;
    door.begun?.();
    readBody(request, response, { limit, budget: door.budget, timeoutMs: door.timeoutMs })
      .then(async (read) => {
        if ("body" in read) {
          const answer = await door.receive({ id, name, signature, body: read.body });
          const ms = Math.round(performance.now() - started);
          if (answer.status === 200) {
            // At debug: a line per delivery cost more than the rest of the request (a write to stdout each); the
            // deliveries stored are counted in closeloop_webhooks_received_total, and every one refused is logged.
            if (log.isLevelEnabled("debug")) log.debug(`${what()}: ${answer.outcome} (200, ${ms} ms)`);
            return void response.writeHead(200, OK_HEADERS).end("ok\n");
          }
          log.warn(`${what()}: refused (${answer.status}): ${answer.error}`);
          return sendJson(response, answer.status, { error: answer.error });
        }
        if (read.refused === "too_large") return refused(413, "too_large", `body larger than ${limit} bytes`);
        if (read.refused === "timeout") return refused(408, "timeout", "the body was not sent in time");
        refused(503, "busy", "too many webhook bodies being read at once; retry later", {
          "retry-after": BUSY_RETRY_AFTER_SECONDS,
        });
      })
      .catch((error: unknown) => {
        log.error({ err: error }, `${what()}: not stored (500)`);
        if (response.headersSent) return void response.destroy();
        sendJson(response, 500, { error: "the delivery could not be stored" });
      });
  });
}

const OK_HEADERS = { "content-type": "text/plain" };

// As @octokit/webhooks' middleware compares paths, so every request it would take is read here first.
function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(withoutTrailingSlashes(url ?? ""), "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

/** The path without its trailing slashes, "/" when nothing else is left, as @octokit/webhooks' middleware compares. */
export function withoutTrailingSlashes(path: string): string {
  return trimTrailingSlashes(path) || "/";
}
