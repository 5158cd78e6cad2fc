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
        },
      ],
    };
    const parsed = parseWebhook("helpscout", JSON.stringify(legacy));
    expect("event" in parsed && parsed.event).toMatchObject({
      conversationUrl: "https://secure.helpscout.net/conversation/12345/7/",
      team: "Support",
      tags: ["vip"],
      messages: [{ text: "see https://github.com/octo-org/app/issues/42", at: "2026-11-23T09:00:00.000Z" }],
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
});
