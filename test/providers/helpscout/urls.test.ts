import { describe, expect, it } from "vitest";
import { helpscoutUrls } from "../../../src/providers/helpscout/urls.js";

const match = (written: string) => helpscoutUrls.match(new URL(written));

describe("helpscoutUrls", () => {
  it.each([
    ["https://secure.helpscout.net/conversation/291938/349/", "291938", "291938/349/"],
    ["https://secure.helpscout.net/conversation/291938/349?folderId=1234", "291938", "291938/349/"],
    ["https://secure.helpscout.net/conversation/291938/349/#thread-5", "291938", "291938/349/"],
    ["https://SECURE.HELPSCOUT.NET/conversation/0291938/0349", "291938", "291938/349/"],
    ["http://secure.helpscout.net/conversation/2391938111/12345/", "2391938111", "2391938111/12345/"],
    ["https://secure.helpscout.net/conversation/583", "583", "583/"],
    ["https://secure.helpscout.net/conversation/583/draft/", "583", "583/"],
  ])("matches %s", (written, conversationId, tail) => {
    expect(match(written)).toEqual({
      account: "",
      conversationId,
      url: `https://secure.helpscout.net/conversation/${tail}`,
    });
  });

  it.each([
    ["https://secure.helpscout.net/conversation/abc/349/", "Help Scout conversation id must be digits: abc"],
    ["https://secure.helpscout.net/conversation/", "Help Scout conversation id is missing"],
    ["https://secure.helpscout.net/conversation/0/1/", "Help Scout conversation id must be greater than zero: 0"],
    ["https://secure.helpscout.net/conversation/-5/1/", "Help Scout conversation id must be digits: -5"],
  ])("refuses %s", (written, reject) => {
    expect(match(written)).toEqual({ reject });
  });

  it.each([
    "https://secure.helpscout.net.evil.com/conversation/1/2/",
    "https://evil.com/secure.helpscout.net/conversation/1/2/",
    "https://helpscout.net/conversation/1/2/",
    "https://api.helpscout.net/v2/conversations/1",
    "https://secure.helpscout.net/mailbox/85/",
    "https://secure.helpscout.net/conversations/1/2/",
    "https://docs.helpscout.com/article/11-conversation-elements",
  ])("ignores %s", (written) => {
    expect(match(written)).toBeNull();
  });
});
