import { describe, expect, it } from "vitest";
import { freshdeskUrls } from "../../../src/providers/freshdesk/urls.js";

const match = (written: string) => freshdeskUrls.match(new URL(written));

describe("freshdeskUrls", () => {
  it.each([
    ["https://acme.freshdesk.com/a/tickets/42", "acme", "42"],
    ["https://acme.freshdesk.com/helpdesk/tickets/42", "acme", "42"],
    ["https://Acme.Freshdesk.com/a/tickets/0042?lang=en", "acme", "42"],
    ["http://acme-help.freshdesk.com/a/tickets/42/", "acme-help", "42"],
    ["https://acme.freshdesk.com/helpdesk/tickets/42/conversations/note", "acme", "42"],
    ["https://acme.freshdesk.com/a/tickets/42#reply", "acme", "42"],
    ["https://acme.freshdesk.com/support/tickets/42", "acme", "42"],
    ["http://ACME.freshdesk.com/support/tickets/0042/?lang=de#note", "acme", "42"],
  ])("matches %s", (written, account, conversationId) => {
    expect(match(written)).toEqual({
      account,
      conversationId,
      url: `https://${account}.freshdesk.com/a/tickets/${conversationId}`,
    });
  });

  it.each([
    [
      "https://acme.freshdesk.com/a/tickets/filters/search?orderBy=updated_at",
      "Freshdesk ticket id must be digits: filters",
    ],
    ["https://acme.freshdesk.com/helpdesk/tickets/view/123456789", "Freshdesk ticket id must be digits: view"],
    ["https://acme.freshdesk.com/helpdesk/tickets/new", "Freshdesk ticket id must be digits: new"],
    ["https://acme.freshdesk.com/a/tickets", "Freshdesk ticket id is missing"],
    ["https://acme.freshdesk.com/a/tickets/0", "Freshdesk ticket id must be greater than zero: 0"],
    ["https://acme.freshdesk.com/support/tickets/new", "Freshdesk ticket id must be digits: new"],
    ["https://acme.freshdesk.com/support/tickets", "Freshdesk ticket id is missing"],
    ["https://acme.freshdesk.com/support/tickets/00", "Freshdesk ticket id must be greater than zero: 00"],
    [
      "https://acme.freshdesk.com/support/tickets/12345678901234567890",
      "Freshdesk ticket id is too long to be real: 12345678901234567890",
    ],
  ])("refuses %s", (written, reject) => {
    expect(match(written)).toEqual({ reject });
  });

  it.each([
    "https://freshdesk.com.attacker.io/a/tickets/1",
    "https://acme.freshdesk.com.attacker.io/a/tickets/1",
    "https://attacker.io/acme.freshdesk.com/a/tickets/1",
    "https://www.freshdesk.com/a/tickets/1",
    "https://a.b.freshdesk.com/a/tickets/1",
    "https://support.acme.com/a/tickets/1",
    "https://acme.freshdesk.com/support/solutions/articles/37540",
    "https://acme.freshdesk.com/api/v2/tickets/1",
    "https://acme.freshdesk.com/en/support/tickets/42",
    "https://acme.freshdesk.com/supports/tickets/42",
    "https://acme.freshdesk.com/support/ticket/42",
    "https://support.acme.com/support/tickets/42",
    "https://www.freshdesk.com/support/tickets/42",
  ])("ignores %s", (written) => {
    expect(match(written)).toBeNull();
  });
});
