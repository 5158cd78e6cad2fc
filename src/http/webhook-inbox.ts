import type { Probot } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import { webhooksReceived } from "../metrics.js";
import { inboxPayload } from "../store/deliveries.js";

/**
 * Replaces Probot's "verify, then run the handlers before answering" with "verify, store, answer": a delivery is in
 * the database before GitHub gets its 200, so a crash loses nothing, and the handlers run from the inbox
 * (DeliveryWorker). Deliveries of events the app does not handle are answered without being stored; the others are
 * stored without GitHub's API links (`inboxPayload`).
 *
 * A signature that does not match is answered 401 (@octokit/webhooks says 400), as for helpdesk webhooks (README, HTTP).
 */
export function acceptIntoInbox(
  app: Probot,
  handles: (name: string, action: string | undefined) => boolean,
  store: (delivery: { id: string; name: EmitterWebhookEventName; payload: string }) => Promise<void>,
): void {
  app.webhooks.verifyAndReceive = async (event) => {
    const count = (outcome: string) => webhooksReceived.inc({ event: event.name, outcome });
    if (!(await app.webhooks.verify(event.payload, event.signature))) {
      count("unauthorized");
      throw webhookError(401, "signature does not match event payload and secret");
    }
    let payload: { action?: unknown };
    try {
      payload = JSON.parse(event.payload) as { action?: unknown };
    } catch {
      count("invalid");
      throw webhookError(400, "Invalid JSON");
    }
    const action = typeof payload?.action === "string" ? payload.action : undefined;
    if (!handles(event.name, action)) return count("ignored");
    await store({ id: event.id, name: event.name as EmitterWebhookEventName, payload: inboxPayload(payload) }).catch((error: unknown) => {
      count("error");
      throw error;
    });
    count("stored");
  };
}

// The shape @octokit/webhooks' middleware reads to choose the status code and message.
function webhookError(status: number, message: string): AggregateError {
  return new AggregateError([Object.assign(new Error(message), { status })], message);
}
