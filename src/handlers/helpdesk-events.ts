import type { Logger } from "probot";
import type { HelpdeskEvent } from "../providers/helpdesk-webhook.js";
import type { StoredDelivery } from "../store/deliveries.js";

/** What the helpdesk event handler needs; built once by the server (or a test). */
export interface HelpdeskEventDeps {
  log: Logger;
}

/** A stored `helpdesk.<provider>` delivery, run by the DeliveryWorker. */
export async function onHelpdeskDelivery(deps: HelpdeskEventDeps, delivery: StoredDelivery): Promise<void> {
  const event = JSON.parse(delivery.payload) as HelpdeskEvent;
  deps.log.info({ provider: event.provider, event: event.type }, `${event.provider} ${event.type}: ${event.conversationUrl}`);
}
