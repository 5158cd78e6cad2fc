import { describe, expect, it } from "vitest";
import {
  parseWebhook,
  RECEIVED_AT,
  signWebhook,
  webhookFixture,
  webhookReceiver,
} from "../../support/helpdesk-webhooks.js";

describe("Front webhook", () => {
  it("refuses a timestamp that is not milliseconds", () => {
    const { webhook, settings, request } = webhookReceiver("front");
    const body = webhookFixture("front");
    expect(
      webhook.verify(
        request(body, { ...signWebhook("front", body, RECEIVED_AT), "x-front-request-timestamp": "yesterday" }),
        settings,
      ).ok,
    ).toBe(false);
  });

  it("answers the challenge sent when the webhook is saved", () => {
    const { webhook, request } = webhookReceiver("front");
    const body = JSON.stringify({ type: "sync", authorization: { id: "cmp_abc" } });
    expect(webhook.handshake!(request(body, { "x-front-challenge": "r4nd0m" }), JSON.parse(body))).toEqual({
      status: 200,
      body: { challenge: "r4nd0m" },
    });
    expect(parseWebhook("front", body)).toEqual({ ignore: expect.any(String) });
  });
});
