import { describe, expect, it } from "vitest";
import type { ProviderId } from "../../src/domain/link.js";
import type { WebhookRequest } from "../../src/providers/helpdesk-webhook.js";
import { ProviderConfigError } from "../../src/providers/provider-settings.js";
import { providers } from "../../src/providers/registry.js";
import { signsTimestamp, signWebhook, WEBHOOK_ENV, webhookFixture } from "../support/helpdesk-webhooks.js";
import { conformanceCases } from "./conformance-cases.js";

const NOW = new Date("2026-11-23T09:00:05Z");

function receiver(provider: ProviderId) {
  const webhook = providers.get(provider)!.webhook;
  const settings = webhook.configure(WEBHOOK_ENV)!;
  const request = (body: string, headers: Record<string, string>, receivedAt = NOW): WebhookRequest => ({ headers, body: Buffer.from(body), receivedAt });
  return { webhook, settings, request };
}

function parse(provider: ProviderId, body: string, headers: Record<string, string> = signWebhook(provider, body, NOW)) {
  const { webhook, settings, request } = receiver(provider);
  return webhook.parse(JSON.parse(body), request(body, headers), settings);
}

describe.each([...conformanceCases.keys()])("%s webhook", (provider) => {
  const body = webhookFixture(provider);
  const { expected, signsBody } = conformanceCases.get(provider)!.webhook;

  it("reads the documented example into the normalized event", () => {
    const parsed = parse(provider, body);
    const event = expected(NOW);
    expect("event" in parsed && parsed.event).toEqual({ ...event, eventId: event.eventId ?? expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it("gives a replay the same event id, and another body another one", () => {
    const first = parse(provider, body);
    const again = parse(provider, body);
    const other = parse(provider, body.replace("42", "43"));
    expect("event" in first && "event" in again && "event" in other).toBe(true);
    if (!("event" in first && "event" in again && "event" in other)) return;
    expect(again.event.eventId).toBe(first.event.eventId);
    if (expected(NOW).eventId === undefined) expect(other.event.eventId).not.toBe(first.event.eventId);
  });

  it("accepts its own signature and refuses a tampered body, a wrong secret and a missing signature", () => {
    const { webhook, settings, request } = receiver(provider);
    expect(webhook.verify(request(body, signWebhook(provider, body, NOW)), settings)).toEqual({ ok: true });
    const wrongSecret = signWebhook(provider, body, NOW, "not-the-secret-at-all-0123456789");
    expect(webhook.verify(request(body, wrongSecret), settings).ok).toBe(false);
    expect(webhook.verify(request(body, {}), settings).ok).toBe(false);
    if (signsBody) {
      const tampered = body.replace("issues/42", "issues/43");
      expect(webhook.verify(request(tampered, signWebhook(provider, body, NOW)), settings).ok).toBe(false);
    }
  });

  it("is not configured without its secret", () => {
    expect(providers.get(provider)!.webhook.configure({})).toBeNull();
  });
});

describe("signed timestamps", () => {
  it.each([...conformanceCases.keys()].filter(signsTimestamp))("%s: refuses a signature more than 5 minutes old or ahead, accepts one within", (provider) => {
    const { webhook, settings, request } = receiver(provider);
    const body = webhookFixture(provider);
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    expect(webhook.verify(request(body, signWebhook(provider, body, at(-6))), settings)).toEqual({ ok: false, reason: expect.stringContaining("more than 5 minutes") });
    expect(webhook.verify(request(body, signWebhook(provider, body, at(6))), settings).ok).toBe(false);
    expect(webhook.verify(request(body, signWebhook(provider, body, at(-4))), settings)).toEqual({ ok: true });
  });

  it("front: refuses a timestamp that is not milliseconds", () => {
    const { webhook, settings, request } = receiver("front");
    const body = webhookFixture("front");
    expect(webhook.verify(request(body, { ...signWebhook("front", body, NOW), "x-front-request-timestamp": "yesterday" }), settings).ok).toBe(false);
  });
});

describe("webhook details", () => {
  it("intercom: the signature must be sha1=<hex>", () => {
    const { webhook, settings, request } = receiver("intercom");
    const body = webhookFixture("intercom");
    const hex = signWebhook("intercom", body)["x-hub-signature"]!.slice(5);
    expect(webhook.verify(request(body, { "x-hub-signature": hex }), settings).ok).toBe(false);
    expect(webhook.verify(request(body, { "x-hub-signature": `sha1=${hex.toUpperCase()}` }), settings)).toEqual({ ok: true });
  });

  it("intercom: ignores the ping sent when the subscription is saved, and topics about other objects", () => {
    expect(parse("intercom", JSON.stringify({ type: "notification_event", id: "notif_1", topic: "ping", app_id: "k9x2mz4q", data: { item: { type: "ping" } } }))).toEqual({
      ignore: expect.stringContaining("ping"),
    });
    expect(parse("intercom", JSON.stringify({ type: "notification_event", id: "notif_2", topic: "contact.created", app_id: "k9x2mz4q", data: { item: { type: "contact", id: "1" } } }))).toEqual({
      ignore: expect.any(String),
    });
  });

  it("intercom: an EU workspace's conversations are on its own inbox host", () => {
    const settings = providers.get("intercom")!.webhook.configure({ ...WEBHOOK_ENV, INTERCOM_API_URL: "https://api.eu.intercom.io" });
    expect(settings).toEqual({ secret: WEBHOOK_ENV.INTERCOM_WEBHOOK_SECRET, appHost: "app.eu.intercom.com" });
  });

  it("intercom: a new conversation's first message is read", () => {
    const body = JSON.parse(webhookFixture("intercom"));
    body.topic = "conversation.user.created";
    body.data.item.conversation_parts.conversation_parts = [];
    body.data.item.source.body = "<p>Same as https://github.com/octo-org/app/issues/42</p>";
    const parsed = parse("intercom", JSON.stringify(body));
    expect("event" in parsed && parsed.event.messages).toEqual([{ text: "<p>Same as https://github.com/octo-org/app/issues/42</p>", at: "2026-11-23T09:00:00.000Z" }]);
  });

  it("front: answers the challenge sent when the webhook is saved", () => {
    const { webhook, request } = receiver("front");
    const body = JSON.stringify({ type: "sync", authorization: { id: "cmp_abc" } });
    expect(webhook.handshake!(request(body, { "x-front-challenge": "r4nd0m" }), JSON.parse(body))).toEqual({ status: 200, body: { challenge: "r4nd0m" } });
    expect(parse("front", body)).toEqual({ ignore: expect.any(String) });
  });

  it("zendesk: reads tag changes, ignores events it has no use for, and needs the subdomain", () => {
    const tags = JSON.parse(webhookFixture("zendesk"));
    tags.type = "zen:event-type:ticket.tags_changed";
    delete tags.event.comment;
    const parsed = parse("zendesk", JSON.stringify(tags));
    expect("event" in parsed && { messages: parsed.event.messages, tags: parsed.event.tags }).toEqual({ messages: [], tags: ["billing", "export"] });
    const priority = { ...tags, type: "zen:event-type:ticket.priority_changed" };
    expect(parse("zendesk", JSON.stringify(priority))).toEqual({ ignore: expect.stringContaining("priority_changed") });
    expect(() => providers.get("zendesk")!.webhook.configure({ ZENDESK_WEBHOOK_SECRET: "s" })).toThrow(ProviderConfigError);
  });

  it("helpscout: reads the legacy conversation object too (threads, string tags, mailbox name)", () => {
    const legacy = {
      id: 12345,
      number: 7,
      mailbox: { id: 85, name: "Support" },
      tags: ["vip"],
      modifiedAt: "2026-11-23T09:00:00Z",
      threads: [{ id: 1, type: "note", body: "see https://github.com/octo-org/app/issues/42", createdAt: "2026-11-23T09:00:00Z" }],
    };
    const parsed = parse("helpscout", JSON.stringify(legacy));
    expect("event" in parsed && parsed.event).toMatchObject({
      conversationUrl: "https://secure.helpscout.net/conversation/12345/7/",
      team: "Support",
      tags: ["vip"],
      messages: [{ text: "see https://github.com/octo-org/app/issues/42", at: "2026-11-23T09:00:00.000Z" }],
    });
    expect(parse("helpscout", JSON.stringify(legacy), { ...signWebhook("helpscout", JSON.stringify(legacy)), "x-helpscout-event": "satisfaction.ratings" })).toEqual({
      ignore: expect.stringContaining("satisfaction.ratings"),
    });
  });

  it("freshdesk: an empty group is no team, a body without the keys closeloop asks for is ignored, and the secret must be long", () => {
    const body = JSON.parse(webhookFixture("freshdesk"));
    body.freshdesk_webhook.ticket_group_name = "";
    const parsed = parse("freshdesk", JSON.stringify(body));
    expect("event" in parsed && parsed.event.team).toBeNull();
    expect(parse("freshdesk", JSON.stringify({ ticket: { id: 1 } }))).toEqual({ ignore: expect.stringContaining("README") });
    expect(() => providers.get("freshdesk")!.webhook.configure({ FRESHDESK_WEBHOOK_SECRET: "short", FRESHDESK_DOMAIN: "acme" })).toThrow(/at least 16/);
    expect(() => providers.get("freshdesk")!.webhook.configure({ FRESHDESK_WEBHOOK_SECRET: WEBHOOK_ENV.FRESHDESK_WEBHOOK_SECRET })).toThrow(/FRESHDESK_DOMAIN/);
  });
});
