import { describe, expect, it } from "vitest";
import { ProviderConfigError } from "../../../src/providers/provider-settings.js";
import { zendeskWebhook } from "../../../src/providers/zendesk/webhook.js";
import { parseWebhook, webhookFixture } from "../../support/helpdesk-webhooks.js";

describe("Zendesk webhook", () => {
  it("reads tag changes, ignores events it has no use for, and needs the subdomain", () => {
    const tags = JSON.parse(webhookFixture("zendesk"));
    tags.type = "zen:event-type:ticket.tags_changed";
    delete tags.event.comment;
    const parsed = parseWebhook("zendesk", JSON.stringify(tags));
    expect("event" in parsed && { messages: parsed.event.messages, tags: parsed.event.tags }).toEqual({
      messages: [],
      tags: ["billing", "export"],
    });
    const priority = { ...tags, type: "zen:event-type:ticket.priority_changed" };
    expect(parseWebhook("zendesk", JSON.stringify(priority))).toEqual({
      ignore: expect.stringContaining("priority_changed"),
    });
    expect(() => zendeskWebhook.configure({ ZENDESK_WEBHOOK_SECRET: "s" })).toThrow(ProviderConfigError);
  });
});
