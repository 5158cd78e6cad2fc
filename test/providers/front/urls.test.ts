import { describe, expect, it } from "vitest";
import { frontUrls } from "../../../src/providers/front/urls.js";

const match = (written: string) => frontUrls.match(new URL(written));

describe("frontUrls", () => {
  it.each([
    ["https://app.frontapp.com/open/cnv_55c8c149", "cnv_55c8c149"],
    ["https://app.frontapp.com/inboxes/teams/folders/7256583/unassigned/cnv_yo1kg5q", "cnv_yo1kg5q"],
    ["https://APP.FRONTAPP.COM/open/CNV_55C8C149?key=shared", "cnv_55c8c149"],
    ["http://app.frontapp.com/open/cnv_55c8c149/", "cnv_55c8c149"],
    ["https://app.frontapp.com/inboxes/shared/1234/open/cnv_00ab", "cnv_ab"],
    ["https://app.frontapp.com/open/cnv_55c8c149#message-msg_1", "cnv_55c8c149"],
    ["https://app.frontapp.com/inboxes/teammates/42/assigned/cnv_1z2x3y4z/messages", "cnv_1z2x3y4z"],
  ])("matches %s", (written, conversationId) => {
    expect(match(written)).toEqual({
      account: "",
      conversationId,
      url: `https://app.frontapp.com/open/${conversationId}`,
    });
  });

  // The address bar's decimal number after /open/ is cnv_ + that number in base 36; the match says it rewrote it.
  it.each([
    ["https://app.frontapp.com/inboxes/teams/folders/123/unassigned/open/26322453318", "cnv_c3bpiyu"],
    ["https://app.frontapp.com/open/26322453318", "cnv_c3bpiyu"],
    ["http://APP.frontapp.com/inboxes/shared/1234/open/26322453318/?view=1#msg", "cnv_c3bpiyu"],
    ["https://app.frontapp.com/inboxes/teammates/42/assigned/open/35", "cnv_z"],
    ["https://app.frontapp.com/inboxes/teammates/42/assigned/open/999999999999999", "cnv_9ugxnorjlr"],
  ])("matches the address-bar URL %s, saying so", (written, conversationId) => {
    expect(match(written)).toEqual({
      account: "",
      conversationId,
      url: `https://app.frontapp.com/open/${conversationId}`,
      fromAddressBar: true,
    });
  });

  it.each([
    [
      "https://app.frontapp.com/open/msg_55c8c149",
      "Front link does not point to a conversation (expected /open/cnv_…): msg_55c8c149",
    ],
    [
      "https://app.frontapp.com/open/cnv_55c8-c149",
      "Front conversation id must be cnv_ followed by letters and digits: cnv_55c8-c149",
    ],
    ["https://app.frontapp.com/open/cnv_", "Front conversation id must be cnv_ followed by letters and digits: cnv_"],
    ["https://app.frontapp.com/open/cnv_000", "Front conversation id must not be zero: cnv_000"],
    [
      "https://app.frontapp.com/inboxes/teams/folders/7256583/unassigned/120537545061",
      `Front inbox URL ends in a UI number, not a conversation id; use the conversation's "Copy link" (app.frontapp.com/open/cnv_…): 120537545061`,
    ],
    [
      "https://app.frontapp.com/inboxes/teams/folders/123/unassigned/open/0",
      "Front conversation number must not be zero: 0",
    ],
    [
      "https://app.frontapp.com/inboxes/teams/folders/123/unassigned/open/026322453318",
      "Front conversation number must not start with 0 (Front never prints one): 026322453318",
    ],
    [
      "https://app.frontapp.com/open/1000000000000000",
      "Front conversation number is too long to be real (over 15 digits): 1000000000000000",
    ],
    [
      "https://app.frontapp.com/inboxes/teams/folders/123/unassigned/open/26322453318/12345",
      `Front inbox URL ends in a UI number, not a conversation id; use the conversation's "Copy link" (app.frontapp.com/open/cnv_…): 12345`,
    ],
    [
      "https://app.frontapp.com/inboxes/teams/folders/123/unassigned/opened/26322453318",
      `Front inbox URL ends in a UI number, not a conversation id; use the conversation's "Copy link" (app.frontapp.com/open/cnv_…): 26322453318`,
    ],
    [
      "https://app.frontapp.com/open/2632245331a",
      "Front link does not point to a conversation (expected /open/cnv_…): 2632245331a",
    ],
  ])("refuses %s", (written, reject) => {
    expect(match(written)).toEqual({ reject });
  });

  it.each([
    "https://app.frontapp.com.evil.com/open/cnv_55c8c149",
    "https://evil.com/app.frontapp.com/open/cnv_55c8c149",
    "https://frontapp.com/open/cnv_55c8c149",
    "https://api2.frontapp.com/conversations/cnv_55c8c149",
    "https://app.frontapp.com/settings/tags",
    "https://app.frontapp.com/inboxes/teams/folders/7256583/unassigned",
    "https://app.frontapp.com/inboxes/teams/folders/7256583/unassigned/open",
    "https://app.frontapp.com.evil.com/inboxes/teams/folders/123/unassigned/open/26322453318",
    "ftp://app.frontapp.com/open/26322453318",
  ])("ignores %s", (written) => {
    expect(match(written)).toBeNull();
  });
});
