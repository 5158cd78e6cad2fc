import { describe, expect, it } from "vitest";
import { failureCategory } from "../../src/domain/failure-category.js";

describe("failureCategory: a fixed category per failure kind, never the helpdesk's words", () => {
  it.each([
    [404, "Intercom: conversation not found (404)", "not found"],
    [404, "Zendesk: ticket 12 was deleted by jane@example.com", "not found"],
    [422, "Zendesk: ticket 4821 is closed; closed tickets cannot be reopened", "closed ticket"],
    [422, "Zendesk: request rejected (422): Requester jane.doe@example.com is suspended", "rejected"],
    [400, "Front: request rejected (400): conversation cnv_1 is archived", "rejected"],
    [401, "Help Scout: bad credentials (401)", "not authorised"],
    [403, "Front: forbidden (403): ping @octocat about #12", "not authorised"],
    [301, "Freshdesk: conversation moved (301), probably merged into another", "moved"],
    [429, "Intercom: rate limited (429), retry after 10s", "rate limited"],
    [500, "Zendesk: server error (500): internal error for ticket 5", "helpdesk error"],
    [503, "Front: server error (503)", "helpdesk error"],
    [409, "Help Scout: server error (409)", "helpdesk error"],
    [408, "Freshdesk: server error (408)", "timed out"],
    [200, "Intercom: unexpected response (200): conversation: invalid", "helpdesk error"],
    [null, "Front: provider not configured", "not configured"],
    [null, "timeout after 1000ms", "timed out"],
    [null, "connect timeout (ETIMEDOUT)", "timed out"],
    [null, "connection reset", "unreachable"],
    [null, "connection refused", "unreachable"],
    [null, "host not found (ENOTFOUND)", "unreachable"],
    [null, "network error (EPROTO)", "unreachable"],
    [null, "unexpected error: database is locked", "failed"],
    [null, null, "failed"],
  ] as const)("status %s, %j → %s", (status, error, category) => {
    expect(failureCategory({ status, error })).toBe(category);
  });
});
