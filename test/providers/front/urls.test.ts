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
    expect(match(written)).toEqual({ account: "", conversationId, url: `https://app.frontapp.com/open/${conversationId}` });
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
  ])("ignores %s", (written) => {
    expect(match(written)).toBeNull();
  });
});
