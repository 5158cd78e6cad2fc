import { readFileSync } from "node:fs";
import type { ProviderId } from "../../src/domain/link.js";
import type { WebhookRequest } from "../../src/providers/helpdesk-webhook.js";
import { providers } from "../../src/providers/registry.js";
import { conformanceCases } from "../providers/conformance-cases.js";

const webhookCase = (provider: ProviderId) => conformanceCases.get(provider)!.webhook;

/** Every helpdesk's webhook secret for tests, under the variables README, Environment names. */
export const WEBHOOK_ENV: Record<string, string> = Object.assign(
  {},
  ...[...conformanceCases.values()].map((scenario) => scenario.webhook.env),
);

/**
 * A body per helpdesk as its published examples shape it (test/providers/<id>/webhooks/, whose README cites the
 * sources), each an agent's note linking to octo-org/app#42.
 */
export function webhookFixture(provider: ProviderId): string {
  return readFileSync(
    new URL(`../providers/${provider}/webhooks/${webhookCase(provider).fixture}`, import.meta.url),
    "utf8",
  );
}

/** Whether the helpdesk signs a timestamp (then an old one is refused). */
export function signsTimestamp(provider: ProviderId): boolean {
  return webhookCase(provider).signsTimestamp;
}

/** The headers the helpdesk sends with `body`, as of `at`, signed with `secret` or the one in WEBHOOK_ENV. */
export function signWebhook(
  provider: ProviderId,
  body: string | Buffer,
  at = new Date(),
  secret?: string,
): Record<string, string> {
  return webhookCase(provider).sign(typeof body === "string" ? Buffer.from(body, "utf8") : body, at, secret);
}

/** Just after the fixtures were sent: their signed timestamps are fresh, and an event without a time is as of now. */
export const RECEIVED_AT = new Date("2026-11-23T09:00:05Z");

/** A helpdesk's webhook receiver configured from WEBHOOK_ENV, and requests to it as received at RECEIVED_AT. */
export function webhookReceiver(provider: ProviderId) {
  const webhook = providers.get(provider)!.webhook;
  const settings = webhook.configure(WEBHOOK_ENV)!;
  const request = (body: string, headers: Record<string, string>, receivedAt = RECEIVED_AT): WebhookRequest => ({
    headers,
    body: Buffer.from(body),
    receivedAt,
  });
  return { webhook, settings, request };
}

/** What the receiver reads from `body`, signed as the helpdesk would unless other headers are given. */
export function parseWebhook(
  provider: ProviderId,
  body: string,
  headers: Record<string, string> = signWebhook(provider, body, RECEIVED_AT),
) {
  const { webhook, settings, request } = webhookReceiver(provider);
  return webhook.parse(JSON.parse(body), request(body, headers), settings);
}

/** POSTs a helpdesk webhook as the helpdesk would. */
export function postWebhook(
  baseUrl: string,
  provider: string,
  body: string,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(`${baseUrl}/closeloop/webhooks/${provider}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}
