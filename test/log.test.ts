import { describe, expect, it } from "vitest";
import { SECRET_HEADERS } from "../src/log.js";
import { providers } from "../src/providers/registry.js";
import { RECEIVED_AT, signWebhook, webhookFixture, webhookReceiver } from "./support/helpdesk-webhooks.js";

describe("the headers the log redacts", () => {
  // Read from what each provider's verify actually reads, so a sixth helpdesk's signature header cannot be forgotten.
  it.each([...providers.keys()])(
    "%s: every header its signature check reads, but a timestamp, is redacted",
    (provider) => {
      const { webhook, settings, request } = webhookReceiver(provider);
      const body = webhookFixture(provider);
      const read = new Set<string>();
      const headers = new Proxy(signWebhook(provider, body, RECEIVED_AT), {
        get(target, name) {
          if (typeof name === "string") read.add(name);
          return target[name as string];
        },
      });
      expect(webhook.verify({ ...request(body, {}), headers }, settings)).toEqual({ ok: true });
      const secretHeaders = [...read].filter((name) => !name.endsWith("-timestamp"));
      // Its definition declares exactly those, and the log takes them from there.
      expect(secretHeaders).toEqual(providers.get(provider)!.webhookSignatureHeaders);
      for (const name of secretHeaders) expect(SECRET_HEADERS).toContain(name);
    },
  );
});
