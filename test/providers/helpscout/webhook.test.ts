import { describe, expect, it } from "vitest";
import { parseWebhook, signWebhook } from "../../support/helpdesk-webhooks.js";

describe("Help Scout webhook", () => {
  it("reads the legacy conversation object too (threads, string tags, mailbox name)", () => {
    const legacy = {
      id: 12345,
      number: 7,
      mailbox: { id: 85, name: "Support" },
      tags: ["vip"],
      modifiedAt: "2026-11-23T09:00:00Z",
      threads: [
        {
          id: 1,
          type: "note",
          body: "see https://github.com/octo-org/app/issues/42",
          createdAt: "2026-11-23T09:00:00Z",
          createdBy: { id: 4211, type: "user", email: "rita@example.com" },
        },
      ],
    };
    const parsed = parseWebhook("helpscout", JSON.stringify(legacy));
    expect("event" in parsed && parsed.event).toMatchObject({
      conversationUrl: "https://secure.helpscout.net/conversation/12345/7/",
      team: "Support",
      tags: ["vip"],
      messages: [
        { text: "see https://github.com/octo-org/app/issues/42", at: "2026-11-23T09:00:00.000Z", byAgent: true },
      ],
    });
    expect(
      parseWebhook("helpscout", JSON.stringify(legacy), {
        ...signWebhook("helpscout", JSON.stringify(legacy)),
        "x-helpscout-event": "satisfaction.ratings",
      }),
    ).toEqual({
      ignore: expect.stringContaining("satisfaction.ratings"),
    });
  });

  it.each([
    ["no createdBy", {}],
    ["a null createdBy", { createdBy: null }],
    ["a createdBy without a type", { createdBy: { id: 4211 } }],
    ["a customer's createdBy", { createdBy: { id: 4711, type: "customer" } }],
  ])("takes a note or reply with %s for a customer's: it links nothing", (_, author) => {
    const body = JSON.stringify({
      id: 12345,
      number: 7,
      _embedded: {
        threads: ["note", "message"].map((type, i) => ({
          id: i + 1,
          type,
          body: "see https://github.com/octo-org/app/issues/42",
          createdAt: "2026-11-23T09:00:00Z",
          ...author,
        })),
      },
    });
    const parsed = parseWebhook("helpscout", body);
    expect("event" in parsed && parsed.event.messages.map((message) => message.byAgent)).toEqual([false, false]);
  });
});
