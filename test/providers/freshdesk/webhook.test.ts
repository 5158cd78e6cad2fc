import { describe, expect, it } from "vitest";
import { freshdeskWebhook } from "../../../src/providers/freshdesk/webhook.js";
import { parseWebhook, WEBHOOK_ENV, webhookFixture } from "../../support/helpdesk-webhooks.js";

describe("Freshdesk webhook", () => {
  it("reads an empty group as no team, ignores a body without the keys closeloop asks for, and needs a long secret", () => {
    const body = JSON.parse(webhookFixture("freshdesk"));
    body.freshdesk_webhook.ticket_group_name = "";
    const parsed = parseWebhook("freshdesk", JSON.stringify(body));
    expect("event" in parsed && parsed.event.team).toBeNull();
    expect(parseWebhook("freshdesk", JSON.stringify({ ticket: { id: 1 } }))).toEqual({
      ignore: expect.stringContaining("README"),
    });
    expect(() => freshdeskWebhook.configure({ FRESHDESK_WEBHOOK_SECRET: "short", FRESHDESK_DOMAIN: "acme" })).toThrow(
      /at least 16/,
    );
    expect(() =>
      freshdeskWebhook.configure({ FRESHDESK_WEBHOOK_SECRET: WEBHOOK_ENV.FRESHDESK_WEBHOOK_SECRET }),
    ).toThrow(/FRESHDESK_DOMAIN/);
  });
});
