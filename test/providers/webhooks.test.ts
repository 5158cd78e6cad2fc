import { describe, expect, it } from "vitest";
import { providers } from "../../src/providers/registry.js";
import {
  parseWebhook,
  RECEIVED_AT,
  signsTimestamp,
  signWebhook,
  webhookFixture,
  webhookReceiver,
} from "../support/helpdesk-webhooks.js";
import { conformanceCases } from "./conformance-cases.js";

describe.each([...conformanceCases.keys()])("%s webhook", (provider) => {
  const body = webhookFixture(provider);
  const { expected, signsBody } = conformanceCases.get(provider)!.webhook;

  it("reads the documented example into the normalized event", () => {
    const parsed = parseWebhook(provider, body);
    const event = expected(RECEIVED_AT);
    expect("event" in parsed && parsed.event).toEqual({
      ...event,
      eventId: event.eventId ?? expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
  });

  it("gives a replay the same event id, and another body another one", () => {
    const first = parseWebhook(provider, body);
    const again = parseWebhook(provider, body);
    const other = parseWebhook(provider, body.replace("42", "43"));
    expect("event" in first && "event" in again && "event" in other).toBe(true);
    if (!("event" in first && "event" in again && "event" in other)) return;
    expect(again.event.eventId).toBe(first.event.eventId);
    if (expected(RECEIVED_AT).eventId === undefined) expect(other.event.eventId).not.toBe(first.event.eventId);
  });

  it("accepts its own signature and refuses a tampered body, a wrong secret and a missing signature", () => {
    const { webhook, settings, request } = webhookReceiver(provider);
    expect(webhook.verify(request(body, signWebhook(provider, body, RECEIVED_AT)), settings)).toEqual({ ok: true });
    const wrongSecret = signWebhook(provider, body, RECEIVED_AT, "not-the-secret-at-all-0123456789");
    expect(webhook.verify(request(body, wrongSecret), settings).ok).toBe(false);
    expect(webhook.verify(request(body, {}), settings).ok).toBe(false);
    if (signsBody) {
      const tampered = body.replace("issues/42", "issues/43");
      expect(webhook.verify(request(tampered, signWebhook(provider, body, RECEIVED_AT)), settings).ok).toBe(false);
    }
  });

  it("is not configured without its secret", () => {
    expect(providers.get(provider)!.webhook.configure({})).toBeNull();
  });
});

describe("signed timestamps", () => {
  it.each([...conformanceCases.keys()].filter(signsTimestamp))(
    "%s: refuses a signature more than 5 minutes old or ahead, accepts one within",
    (provider) => {
      const { webhook, settings, request } = webhookReceiver(provider);
      const body = webhookFixture(provider);
      const at = (minutes: number) => new Date(RECEIVED_AT.getTime() + minutes * 60_000);
      expect(webhook.verify(request(body, signWebhook(provider, body, at(-6))), settings)).toEqual({
        ok: false,
        reason: expect.stringContaining("more than 5 minutes"),
      });
      expect(webhook.verify(request(body, signWebhook(provider, body, at(6))), settings).ok).toBe(false);
      expect(webhook.verify(request(body, signWebhook(provider, body, at(-4))), settings)).toEqual({ ok: true });
    },
  );
});
