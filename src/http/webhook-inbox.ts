import type { Probot } from "probot";
import { emitterEventNames, type EmitterWebhookEventName } from "@octokit/webhooks";
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
    // The event name is a header anyone can write (GitHub signs the body, not the headers): a metric label takes it
    // only from a signed delivery and only when it is one of GitHub's event names, so no caller can add time series.
    const verified = await app.webhooks.verify(event.payload, event.signature);
    const label = verified && GITHUB_EVENTS.has(event.name) ? event.name : "unknown";
    const count = (outcome: string) => webhooksReceived.inc({ event: label, outcome });
    if (!verified) {
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
    await store({ id: event.id, name: event.name as EmitterWebhookEventName, payload: inboxPayload(payload) }).catch(
      (error: unknown) => {
        count("error");
        throw error;
      },
    );
    count("stored");
  };
}

const GITHUB_EVENTS = new Set<string>(emitterEventNames.filter((name) => !name.includes(".")));

// The shape @octokit/webhooks' middleware reads to choose the status code and message.
function webhookError(status: number, message: string): AggregateError {
  return new AggregateError([Object.assign(new Error(message), { status })], message);
}
