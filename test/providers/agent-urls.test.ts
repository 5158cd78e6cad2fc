import { describe, expect, it } from "vitest";
import { agentUrl } from "../../src/providers/registry.js";

describe("agentUrl: each definition's address of a stored conversation in its agent interface", () => {
  it.each([
    [
      "zendesk",
      "acme",
      "4242",
      "https://acme.zendesk.com/agent/tickets/4242",
      "https://acme.zendesk.com/agent/tickets/4242",
    ],
    [
      "freshdesk",
      "acme",
      "17",
      "https://acme.freshdesk.com/support/tickets/17",
      "https://acme.freshdesk.com/a/tickets/17",
    ],
    ["front", "", "cnv_55c8c149", "https://app.frontapp.com/open/12345", "https://app.frontapp.com/open/cnv_55c8c149"],
    [
      "intercom",
      "abc123",
      "9",
      "https://app.eu.intercom.com/a/apps/abc123/conversations/9",
      "https://app.eu.intercom.com/a/inbox/abc123/inbox/conversation/9",
    ],
    [
      "intercom",
      "abc123",
      "9",
      "https://example.com/not-intercom",
      "https://app.intercom.com/a/inbox/abc123/inbox/conversation/9",
    ],
    [
      "intercom",
      "",
      "9",
      "https://app.intercom.com/a/inbox/x/conversation/9",
      "https://app.intercom.com/a/inbox/x/conversation/9",
    ],
    [
      "helpscout",
      "",
      "123456",
      "https://secure.helpscout.net/conversation/123456/789/",
      "https://secure.helpscout.net/conversation/123456/789/",
    ],
    ["zendesk", "", "1", "https://x.zendesk.com/agent/tickets/1", "https://x.zendesk.com/agent/tickets/1"],
    ["zendesk", "a/b", "1?x", "https://x.zendesk.com/agent/tickets/1", "https://a%2Fb.zendesk.com/agent/tickets/1%3Fx"],
    // A row of a provider this version does not know (written by a newer one): its pasted URL.
    [
      "kayako",
      "acme",
      "7",
      "https://acme.kayako.com/agent/conversations/7",
      "https://acme.kayako.com/agent/conversations/7",
    ],
  ])("%s %s %s (pasted %s) opens at %s", (provider, account, conversationId, url, expected) => {
    expect(agentUrl({ provider, account, conversationId, url })).toBe(expected);
  });
});
