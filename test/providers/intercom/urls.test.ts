import { describe, expect, it } from "vitest";
import { intercomUrls } from "../../../src/providers/intercom/urls.js";

const match = (written: string) => intercomUrls.match(new URL(written));

describe("intercomUrls", () => {
  it.each([
    [
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/215560824562362",
      "abc123de",
      "215560824562362",
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/215560824562362",
    ],
    [
      "https://app.intercom.com/a/inbox/abc123de/inbox/shared/all/conversation/4137#part_id=comment-4137-23555",
      "abc123de",
      "4137",
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/4137",
    ],
    [
      "https://app.eu.intercom.com/a/inbox/zah460bv/inbox/admin/5017691/conversation/123",
      "zah460bv",
      "123",
      "https://app.eu.intercom.com/a/inbox/zah460bv/inbox/conversation/123",
    ],
    [
      "https://app.au.intercom.com/a/inbox/q7p2x9k1/conversation/88",
      "q7p2x9k1",
      "88",
      "https://app.au.intercom.com/a/inbox/q7p2x9k1/inbox/conversation/88",
    ],
    [
      "https://app.intercom.io/a/apps/ABC123DE/conversations/42",
      "abc123de",
      "42",
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/42",
    ],
    [
      "https://app.intercom.com/a/apps/abc123de/inbox/inbox/all/conversations/0042/",
      "abc123de",
      "42",
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/42",
    ],
    [
      "http://APP.INTERCOM.COM/a/inbox/abc123de/inbox/view/99/conversation/7?view=List",
      "abc123de",
      "7",
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/7",
    ],
    [
      "https://app.intercom.com/a/inbox/abc123de/inbox/search/conversation/7/",
      "abc123de",
      "7",
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/7",
    ],
  ])("matches %s", (written, account, conversationId, url) => {
    expect(match(written)).toEqual({ account, conversationId, url });
  });

  it.each([
    [
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/abc",
      "Intercom conversation id must be digits: abc",
    ],
    ["https://app.intercom.com/a/inbox/abc123de/inbox/conversation", "Intercom conversation id is missing"],
    ["https://app.intercom.com/a/apps/abc123de/users/5f1/conversations", "Intercom conversation id is missing"],
    [
      "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/0",
      "Intercom conversation id must be greater than zero: 0",
    ],
    [
      "https://app.intercom.com/a/inbox/abc123de/conversation/12345678901234567890",
      "Intercom conversation id is too long to be real: 12345678901234567890",
    ],
    [
      "https://app.intercom.com/a/apps/abc_123/conversations/5",
      "Intercom workspace id must be letters and digits: abc_123",
    ],
  ])("refuses %s", (written, reject) => {
    expect(match(written)).toEqual({ reject });
  });

  it.each([
    "https://app.intercom.com.evil.com/a/inbox/abc123de/inbox/conversation/1",
    "https://evil.com/app.intercom.com/a/inbox/abc123de/inbox/conversation/1",
    "https://intercom.com/a/inbox/abc123de/inbox/conversation/1",
    "https://app.intercom.help/a/inbox/abc123de/inbox/conversation/1",
    "https://app.іntercom.com/a/inbox/abc123de/inbox/conversation/1",
    "https://app.intercom.com/conversation/1",
    "https://app.intercom.com/a/apps/abc123de/articles/1",
    "https://www.intercom.com/help/en/articles/8838326-conversations-faqs",
    "ftp://app.intercom.com/a/inbox/abc123de/inbox/conversation/1",
  ])("ignores %s", (written) => {
    expect(match(written)).toBeNull();
  });
});
