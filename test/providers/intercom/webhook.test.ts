import { describe, expect, it } from "vitest";
import { intercomWebhook } from "../../../src/providers/intercom/webhook.js";
import {
  parseWebhook,
  signWebhook,
  WEBHOOK_ENV,
  webhookFixture,
  webhookReceiver,
} from "../../support/helpdesk-webhooks.js";

describe("Intercom webhook", () => {
  it("needs the sha1= prefix, and takes the hex in either case", () => {
    const { webhook, settings, request } = webhookReceiver("intercom");
    const body = webhookFixture("intercom");
    const hex = signWebhook("intercom", body)["x-hub-signature"]!.slice(5);
    expect(webhook.verify(request(body, { "x-hub-signature": hex }), settings).ok).toBe(false);
    expect(webhook.verify(request(body, { "x-hub-signature": `sha1=${hex.toUpperCase()}` }), settings)).toEqual({
      ok: true,
    });
  });

  it("ignores the ping sent when the subscription is saved, and topics about other objects", () => {
    expect(
      parseWebhook(
        "intercom",
        JSON.stringify({
          type: "notification_event",
          id: "notif_1",
          topic: "ping",
          app_id: "k9x2mz4q",
          data: { item: { type: "ping" } },
        }),
      ),
    ).toEqual({
      ignore: expect.stringContaining("ping"),
    });
    expect(
      parseWebhook(
        "intercom",
        JSON.stringify({
          type: "notification_event",
          id: "notif_2",
          topic: "contact.created",
          app_id: "k9x2mz4q",
          data: { item: { type: "contact", id: "1" } },
        }),
      ),
    ).toEqual({
      ignore: expect.any(String),
    });
  });

  it("puts an EU workspace's conversations on its own inbox host", () => {
    const settings = intercomWebhook.configure({ ...WEBHOOK_ENV, INTERCOM_API_URL: "https://api.eu.intercom.io" });
    expect(settings).toEqual({ secret: WEBHOOK_ENV.INTERCOM_WEBHOOK_SECRET, appHost: "app.eu.intercom.com" });
  });

  it("reads a new conversation's first message: a customer's when a user started it, an agent's when an admin did", () => {
    const body = JSON.parse(webhookFixture("intercom"));
    body.topic = "conversation.user.created";
    body.data.item.conversation_parts.conversation_parts = [];
    body.data.item.source.body = "<p>Same as https://github.com/octo-org/app/issues/42</p>";
    const parsed = parseWebhook("intercom", JSON.stringify(body));
    expect("event" in parsed && parsed.event.messages).toEqual([
      {
        text: "<p>Same as https://github.com/octo-org/app/issues/42</p>",
        at: "2026-11-23T09:00:00.000Z",
        byAgent: false,
      },
    ]);
    body.topic = "conversation.admin.single.created";
    const started = parseWebhook("intercom", JSON.stringify(body));
    expect("event" in started && started.event.messages.map((message) => message.byAgent)).toEqual([true]);
  });

  it("with INTERCOM_WORKSPACE_ID set, ignores another workspace's notifications as another account's", () => {
    const settings = intercomWebhook.configure({ ...WEBHOOK_ENV, INTERCOM_WORKSPACE_ID: "K9X2MZ4Q" })!;
    expect(settings.workspaceId).toBe("k9x2mz4q");
    const { request } = webhookReceiver("intercom");
    const body = webhookFixture("intercom");
    expect("event" in intercomWebhook.parse(JSON.parse(body), request(body, {}), settings)).toBe(true);
    const other = body.replace('"app_id": "k9x2mz4q"', '"app_id": "zz99other"');
    expect(intercomWebhook.parse(JSON.parse(other), request(other, {}), settings)).toEqual({
      ignore: expect.stringContaining("workspace zz99other is another account"),
    });
    expect(() => intercomWebhook.configure({ ...WEBHOOK_ENV, INTERCOM_WORKSPACE_ID: "not/an id" })).toThrow(
      /INTERCOM_WORKSPACE_ID/,
    );
  });
});
