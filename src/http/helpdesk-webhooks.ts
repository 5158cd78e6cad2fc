import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "probot";
import type { ProviderId } from "../domain/link.js";
import { bodyHash, type WebhookRequest } from "../providers/helpdesk-webhook.js";
import { providers, type ConfiguredWebhook } from "../providers/registry.js";
import type { IncomingDelivery } from "../store/deliveries.js";
import { webhooksReceived } from "../metrics.js";
import { BUSY_RETRY_AFTER_SECONDS, isJsonContentType, readBody, sendJson, type BodyBudget } from "./request-body.js";

/**
 * `POST /closeloop/webhooks/<provider>` (README, HTTP): helpdesk webhooks through the same durable inbox as GitHub's.
 * Order of checks: the provider must be configured for webhooks (its secret set, else 404); before a byte of the body
 * is read, its signature header must be there (else 401), its content type JSON (else 415), its Content-Length at
 * most 1 MiB (else 413) and the bytes being read at once under the cap (else 503 with Retry-After); then the body is
 * read within the timeout (else 408), the signature must match over the raw bytes (else 401, nothing stored, nothing
 * parsed), and the body must be JSON (else 400). A verified event
 * closeloop reads is stored as a delivery named `helpdesk.<provider>` before the 200, and the DeliveryWorker links
 * from it; an event it has no use for is answered 200 and not stored, so the helpdesk does not retry it.
 */
export const HELPDESK_WEBHOOK_PATH = "/closeloop/webhooks/";
export const HELPDESK_DELIVERY_PREFIX = "helpdesk.";

/** Larger than any conversation event; a bigger body is refused before it is read whole. */
const MAX_BODY_BYTES = 1024 * 1024;

export function helpdeskWebhookRoutes(
  webhooks: ReadonlyMap<ProviderId, ConfiguredWebhook>,
  store: (delivery: IncomingDelivery) => Promise<void>,
  log: Logger,
  options: { budget: BodyBudget; timeoutMs?: number; now?: () => Date },
) {
  const now = options.now ?? (() => new Date());
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
    // Answered before the body is read: the connection closes, so its unread rest is never taken for a next request.
    const refuse = (status: number, outcome: string, reason: string, headers: Record<string, string | number> = {}) => {
      for (const [header, value] of Object.entries({ connection: "close", ...headers }))
        response.setHeader(header, value);
      log.warn({ provider: name }, `helpdesk webhook ${name}: refused (${status}): ${reason}`);
      return answer(status, outcome, { error: reason });
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

    const unsigned = known!.webhookSignatureHeaders.find((header) => request.headers[header] === undefined);
    if (unsigned !== undefined) return refuse(401, "unauthorized", `signature check failed: no ${unsigned} header`);
    if (!isJsonContentType(request))
      return refuse(415, "invalid", 'Unsupported "Content-Type" header value. Must be "application/json"');
    const read = await readBody(request, response, {
      limit: MAX_BODY_BYTES,
      budget: options.budget,
      timeoutMs: options.timeoutMs,
    });
    if ("refused" in read) {
      if (read.refused === "too_large") return refuse(413, "too_large", `body larger than ${MAX_BODY_BYTES} bytes`);
      if (read.refused === "timeout") return refuse(408, "timeout", "the body was not sent in time");
      return refuse(503, "busy", "too many webhook bodies being read at once; retry later", {
        "retry-after": BUSY_RETRY_AFTER_SECONDS,
      });
    }
    const body = read.body;
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
