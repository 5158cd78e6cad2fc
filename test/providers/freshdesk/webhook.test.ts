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

  it.each([
    ["without latest_private_comment_by (the tags rule, or a body written before it)", undefined],
    ["whose latest_private_comment_by is not agent", "requester"],
  ])("takes the private comment of a body %s for a customer's: it links nothing", (_, by) => {
    const body = JSON.parse(webhookFixture("freshdesk"));
    body.freshdesk_webhook.latest_private_comment_by = by;
    const parsed = parseWebhook("freshdesk", JSON.stringify(body));
    expect("event" in parsed && parsed.event.messages).toEqual([
      expect.objectContaining({ text: expect.stringContaining("issues/42"), byAgent: false }),
    ]);
  });
});
