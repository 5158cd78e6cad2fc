import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ProviderId } from "../../src/domain/link.js";

/** Each helpdesk's webhook secret for tests, under the variable SPEC §2 names (Freshdesk's is at least 16 characters). */
export const WEBHOOK_ENV: Record<string, string> = {
  INTERCOM_WEBHOOK_SECRET: "intercom-client-secret",
  FRONT_WEBHOOK_SECRET: "front-app-secret",
  ZENDESK_WEBHOOK_SECRET: "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==",
  ZENDESK_SUBDOMAIN: "acme",
  HELPSCOUT_WEBHOOK_SECRET: "helpscout-secret-key",
  FRESHDESK_WEBHOOK_SECRET: "freshdesk-shared-secret-0123456789",
  FRESHDESK_DOMAIN: "acme",
};

/** A documented-shaped body per helpdesk (test/fixtures/helpdesk-webhooks), each linking to octo-org/app#42. */
export const WEBHOOK_FIXTURES: Record<ProviderId, string> = {
  intercom: "intercom-admin-noted.json",
  front: "front-comment.json",
  zendesk: "zendesk-comment-added.json",
  helpscout: "helpscout-note-created.json",
  freshdesk: "freshdesk-note.json",
};

export function webhookFixture(provider: ProviderId): string {
  return readFileSync(new URL(`../fixtures/helpdesk-webhooks/${WEBHOOK_FIXTURES[provider]}`, import.meta.url), "utf8");
}

/** Whether the helpdesk signs a timestamp (then an old one is refused). */
export const SIGNS_TIMESTAMP: Record<ProviderId, boolean> = { intercom: false, front: true, zendesk: true, helpscout: false, freshdesk: false };

/**
 * The headers the helpdesk sends with `body`, signed as its docs say (the provider's webhook.ts cites them), as of
 * `at`. Written independently of src/, so a test fails if the code's reading of a scheme drifts.
 */
export function signWebhook(provider: ProviderId, body: string | Buffer, at = new Date(), secret?: string): Record<string, string> {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const key = (name: string) => secret ?? WEBHOOK_ENV[name]!;
  const hmac = (algorithm: string, name: string, ...parts: Buffer[]) => {
    const mac = createHmac(algorithm, key(name));
    for (const part of parts) mac.update(part);
    return mac.digest();
  };
  switch (provider) {
    case "intercom":
      return { "x-hub-signature": `sha1=${hmac("sha1", "INTERCOM_WEBHOOK_SECRET", bytes).toString("hex")}` };
    case "front": {
      const timestamp = String(at.getTime());
      return {
        "x-front-request-timestamp": timestamp,
        "x-front-signature": hmac("sha256", "FRONT_WEBHOOK_SECRET", Buffer.from(`${timestamp}:`), bytes).toString("base64"),
      };
    }
    case "zendesk": {
      const timestamp = at.toISOString().replace(/\.\d{3}Z$/, "Z");
      return {
        "x-zendesk-webhook-signature-timestamp": timestamp,
        "x-zendesk-webhook-signature": hmac("sha256", "ZENDESK_WEBHOOK_SECRET", Buffer.from(timestamp), bytes).toString("base64"),
      };
    }
    case "helpscout":
      return { "x-helpscout-event": "convo.note.created", "x-helpscout-signature": hmac("sha1", "HELPSCOUT_WEBHOOK_SECRET", bytes).toString("base64") };
    case "freshdesk":
      return { "x-closeloop-webhook-secret": key("FRESHDESK_WEBHOOK_SECRET") };
  }
}

/** POSTs a helpdesk webhook as the helpdesk would. */
export function postWebhook(baseUrl: string, provider: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${baseUrl}/closeloop/webhooks/${provider}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}
