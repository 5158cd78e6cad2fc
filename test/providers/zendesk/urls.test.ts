import { describe, expect, it } from "vitest";
import { zendeskUrls } from "../../../src/providers/zendesk/urls.js";

const match = (written: string) => zendeskUrls.match(new URL(written));

describe("zendeskUrls", () => {
  it.each([
    ["https://acme.zendesk.com/agent/tickets/123", "acme", "123"],
    ["https://ACME.zendesk.com/agent/tickets/00123", "acme", "123"],
    ["https://acme-support.zendesk.com/agent/tickets/123/events", "acme-support", "123"],
    ["http://acme.zendesk.com/agent/tickets/123?brand_id=1#comment", "acme", "123"],
    ["https://acme.zendesk.com/agent/#/tickets/456", "acme", "456"],
    ["https://acme.zendesk.com/hc/en-us/requests/789", "acme", "789"],
    ["https://acme.zendesk.com/hc/requests/790", "acme", "790"],
    ["https://acme.zendesk.com/agent/tickets/123/", "acme", "123"],
  ])("matches %s", (written, account, conversationId) => {
    expect(match(written)).toEqual({
      account,
      conversationId,
      url: `https://${account}.zendesk.com/agent/tickets/${conversationId}`,
    });
  });

  it.each([
    ["https://acme.zendesk.com/agent/tickets/abc", "Zendesk ticket id must be digits: abc"],
    ["https://acme.zendesk.com/agent/tickets/", "Zendesk ticket id is missing"],
    ["https://acme.zendesk.com/agent/tickets/new", "Zendesk ticket id must be digits: new"],
    ["https://acme.zendesk.com/agent/tickets/12a", "Zendesk ticket id must be digits: 12a"],
    ["https://acme.zendesk.com/agent/tickets/000", "Zendesk ticket id must be greater than zero: 000"],
    [
      "https://acme.zendesk.com/agent/tickets/99999999999999999999",
      "Zendesk ticket id is too long to be real: 99999999999999999999",
    ],
    ["https://acme.zendesk.com/hc/en-us/requests/new", "Zendesk ticket id must be digits: new"],
  ])("refuses %s", (written, reject) => {
    expect(match(written)).toEqual({ reject });
  });

  it.each([
    "https://zendesk.com.attacker.io/agent/tickets/1",
    "https://acme.zendesk.com.attacker.io/agent/tickets/1",
    "https://attacker.io/acme.zendesk.com/agent/tickets/1",
    "https://www.zendesk.com/agent/tickets/1",
    "https://zendesk.com/agent/tickets/1",
    "https://a.b.zendesk.com/agent/tickets/1",
    "https://acmezendesk.com/agent/tickets/1",
    "https://support.acme.com/agent/tickets/1",
    "https://acme.zendesk.com/hc/en-us/articles/360000-how-to",
    "https://acme.zendesk.com/agent/filters/360001",
    "https://acme.zendesk.com/tickets/1",
  ])("ignores %s", (written) => {
    expect(match(written)).toBeNull();
  });
});
