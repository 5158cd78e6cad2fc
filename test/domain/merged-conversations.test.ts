import { describe, expect, it } from "vitest";
import type { RecognisedLink } from "../../src/domain/link.js";
import { mayBeMerged, toSurvivor } from "../../src/domain/merged-conversations.js";

const link = (provider: RecognisedLink["provider"], account: string, conversationId: string): RecognisedLink => ({
  provider,
  account,
  conversationId,
  url: `https://example.test/${conversationId}`,
});
const survivors = new Map([
  ["front::cnv_a", "cnv_b"],
  ["helpscout::101", "202"],
]);

describe("toSurvivor", () => {
  it.each([
    ["a merged Front conversation", link("front", "", "cnv_a"), "cnv_b"],
    ["a merged Help Scout conversation", link("helpscout", "", "101"), "202"],
    ["a conversation nobody merged", link("front", "", "cnv_c"), "cnv_c"],
    ["the same id at another helpdesk", link("zendesk", "", "101"), "101"],
    ["the same id in another account", link("helpscout", "acme", "101"), "101"],
  ])("%s", (_what, given, expected) => {
    const resolved = toSurvivor(given, survivors);
    expect(resolved.conversationId).toBe(expected);
    // The URL stays as it was pasted.
    expect(resolved.url).toBe(given.url);
  });
});

describe("mayBeMerged", () => {
  it("keeps only the links of the helpdesks it is given", () => {
    const links = [
      link("intercom", "k9", "1"),
      link("front", "", "cnv_a"),
      link("zendesk", "acme", "2"),
      link("helpscout", "", "3"),
      link("freshdesk", "acme", "4"),
    ];
    expect(mayBeMerged(links, new Set(["front", "helpscout"])).map((item) => item.provider)).toEqual([
      "front",
      "helpscout",
    ]);
  });
});
