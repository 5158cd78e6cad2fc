import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "probot";
import type { ProviderId } from "../domain/link.js";
import {
  bodyHash,
  type HelpdeskWebhook,
  type WebhookRequest,
  type WebhookSettings,
} from "../providers/helpdesk-webhook.js";
import { providers } from "../providers/registry.js";
import type { IncomingDelivery } from "../store/deliveries.js";
import { webhooksReceived } from "../metrics.js";
import { readBody } from "./request-body.js";

/**
 * `POST /closeloop/webhooks/<provider>` (README, HTTP): helpdesk webhooks through the same durable inbox as GitHub's.
 * Order of checks: the provider must be configured for webhooks (its secret set, else 404), the signature must match
 * over the raw bytes (else 401, nothing stored, nothing parsed), the body must be JSON (else 400). A verified event
 * closeloop reads is stored as a delivery named `helpdesk.<provider>` before the 200, and the DeliveryWorker links
 * from it; an event it has no use for is answered 200 and not stored, so the helpdesk does not retry it.
 */
export const HELPDESK_WEBHOOK_PATH = "/closeloop/webhooks/";
export const HELPDESK_DELIVERY_PREFIX = "helpdesk.";

/** Larger than any conversation event; a bigger body is refused before it is read whole. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ConfiguredWebhook {
  webhook: HelpdeskWebhook<WebhookSettings>;
  settings: WebhookSettings;
}

/** The helpdesks whose webhook secret is set. Throws ProviderConfigError (start-up stops) on a half-done set-up. */
export function configuredWebhooks(env: Record<string, string | undefined>): Map<ProviderId, ConfiguredWebhook> {
  const configured = new Map<ProviderId, ConfiguredWebhook>();
  for (const [id, definition] of providers) {
    const webhook = definition.webhook as HelpdeskWebhook<WebhookSettings>;
    const settings = webhook.configure(env);
    if (settings) configured.set(id, { webhook, settings });
  }
  return configured;
}

export function helpdeskWebhookRoutes(
  webhooks: ReadonlyMap<ProviderId, ConfiguredWebhook>,
  store: (delivery: IncomingDelivery) => Promise<void>,
  log: Logger,
  now: () => Date = () => new Date(),
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = request.url?.split("?", 1)[0] ?? "";
    if (!path.startsWith(HELPDESK_WEBHOOK_PATH)) return false;
    const name = path.slice(HELPDESK_WEBHOOK_PATH.length).replace(/\/$/, "");
    const known = providers.get(name as ProviderId);
    const configured = webhooks.get(name as ProviderId);
    const event = `${HELPDESK_DELIVERY_PREFIX}${known ? name : "unknown"}`;
    const answer = (status: number, outcome: string, body: unknown) => {
      webhooksReceived.inc({ event, outcome });
      sendJson(response, status, body);
      return true;
    };

    if (configured === undefined) {
      // The caller is anyone on the internet: the answer does not say which variable would switch the route on.
      request.resume();
      if (known)
        log.debug(
          { provider: name },
          `helpdesk webhook ${name}: refused (404): not configured, ${known.webhook.secretVariable} is not set`,
        );
      return answer(404, "not_configured", {
        error: known ? `${name} webhooks are not configured` : "no such helpdesk",
      });
    }
    // Intercom checks a new endpoint URL with a HEAD request.
    if (request.method === "HEAD") return answer(200, "probe", {});
    if (request.method !== "POST") {
      request.resume();
      response.setHeader("allow", "POST, HEAD");
      return answer(405, "invalid", { error: "use POST" });
    }

    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === null) {
      response.setHeader("connection", "close");
      log.warn({ provider: name }, `helpdesk webhook ${name}: refused (413): body larger than ${MAX_BODY_BYTES} bytes`);
      return answer(413, "too_large", { error: `body larger than ${MAX_BODY_BYTES} bytes` });
    }
    const incoming: WebhookRequest = { headers: request.headers, body, receivedAt: now() };
    const verified = configured.webhook.verify(incoming, configured.settings);
    if (!verified.ok) {
      log.warn({ provider: name }, `helpdesk webhook ${name}: refused (401): ${verified.reason}`);
      return answer(401, "unauthorized", { error: `signature check failed: ${verified.reason}` });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      return answer(400, "invalid", { error: "body is not JSON" });
    }
    const handshake = configured.webhook.handshake?.(incoming, json);
    if (handshake !== undefined) return answer(handshake.status, "handshake", handshake.body);

    const parsed = configured.webhook.parse(json, incoming, configured.settings);
    if ("ignore" in parsed) {
      log.debug({ provider: name }, `helpdesk webhook ${name}: ignored: ${parsed.ignore}`);
      return answer(200, "ignored", { status: "ignored", reason: parsed.ignore });
    }
    // A provider's event id is usually short; one that is not is hashed so the key stays bounded.
    const eventId =
      parsed.event.eventId.length <= 200 ? parsed.event.eventId : bodyHash(Buffer.from(parsed.event.eventId, "utf8"));
    try {
      await store({ id: `${event}:${eventId}`, name: event, payload: JSON.stringify(parsed.event) });
    } catch (error) {
      log.error(
        { err: error, provider: name },
        `helpdesk webhook ${name}: cannot store the delivery; answering 500 so the helpdesk retries`,
      );
      return answer(500, "error", { error: "cannot store the delivery" });
    }
    return answer(200, "stored", { status: "stored" });
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" })
    .end(JSON.stringify(body));
}
