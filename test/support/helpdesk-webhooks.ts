import { readFileSync } from "node:fs";
import type { ProviderId } from "../../src/domain/link.js";
import { conformanceCases } from "../providers/conformance-cases.js";

const webhookCase = (provider: ProviderId) => conformanceCases.get(provider)!.webhook;

/** Every helpdesk's webhook secret for tests, under the variables SPEC §2 names. */
export const WEBHOOK_ENV: Record<string, string> = Object.assign({}, ...[...conformanceCases.values()].map((scenario) => scenario.webhook.env));

/** A documented-shaped body per helpdesk (test/fixtures/helpdesk-webhooks), each linking to octo-org/app#42. */
export function webhookFixture(provider: ProviderId): string {
  return readFileSync(new URL(`../fixtures/helpdesk-webhooks/${webhookCase(provider).fixture}`, import.meta.url), "utf8");
}

/** Whether the helpdesk signs a timestamp (then an old one is refused). */
export function signsTimestamp(provider: ProviderId): boolean {
  return webhookCase(provider).signsTimestamp;
}

/** The headers the helpdesk sends with `body`, as of `at`, signed with `secret` or the one in WEBHOOK_ENV. */
export function signWebhook(provider: ProviderId, body: string | Buffer, at = new Date(), secret?: string): Record<string, string> {
  return webhookCase(provider).sign(typeof body === "string" ? Buffer.from(body, "utf8") : body, at, secret);
}

/** POSTs a helpdesk webhook as the helpdesk would. */
export function postWebhook(baseUrl: string, provider: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${baseUrl}/closeloop/webhooks/${provider}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}
