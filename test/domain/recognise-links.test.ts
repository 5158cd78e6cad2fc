import { describe, expect, it } from "vitest";
import { recogniseLinks, recogniseUrl } from "../../src/domain/recognise-links.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import { LINEAR_BOUND_MS } from "../support/linear-time.js";

const ticket = (id: number | string) => `https://acme.zendesk.com/agent/tickets/${id}`;

/** The Zendesk ticket ids recognised in `markdown`, in order. */
const ticketIds = (markdown: string) =>
  recogniseLinks(markdown, urlMatchers).links.map((link) => `${link.provider}:${link.account}:${link.conversationId}`);

describe("recogniseLinks: one link per conversation", () => {
  it("keeps links in order of first appearance, once each", () => {
    const markdown = [
      "https://secure.helpscout.net/conversation/291938/349/",
      ticket(7),
      "https://app.frontapp.com/open/cnv_55c8c149",
      "https://secure.helpscout.net/conversation/291938/349/?folderId=1",
      ticket(7),
    ].join("\n");
    expect(recogniseLinks(markdown, urlMatchers)).toEqual({
      links: [
        {
          provider: "helpscout",
          account: "",
          conversationId: "291938",
          url: "https://secure.helpscout.net/conversation/291938/349/",
        },
        { provider: "zendesk", account: "acme", conversationId: "7", url: ticket(7) },
        {
          provider: "front",
          account: "",
          conversationId: "cnv_55c8c149",
          url: "https://app.frontapp.com/open/cnv_55c8c149",
        },
      ],
      rejected: [],
      truncated: 0,
    });
  });

  it.each([
    [
      "two Intercom shapes",
      "https://app.intercom.io/a/apps/ABC123DE/conversations/42",
      "https://app.intercom.com/a/inbox/abc123de/inbox/shared/all/conversation/42#part_id=1",
    ],
    ["leading zeros", ticket("00123"), ticket(123)],
    ["host case and scheme", "http://ACME.Zendesk.com/agent/tickets/123", ticket(123)],
    ["ticket and request", "https://acme.zendesk.com/hc/en-us/requests/123", ticket(123)],
    [
      "classic and current Freshdesk",
      "https://acme.freshdesk.com/helpdesk/tickets/9",
      "https://acme.freshdesk.com/a/tickets/9",
    ],
    [
      "Front open and inbox view",
      "https://app.frontapp.com/open/cnv_ab",
      "https://app.frontapp.com/inboxes/x/cnv_00AB",
    ],
    [
      "Front cnv_ id and address-bar number",
      "https://app.frontapp.com/open/cnv_c3bpiyu",
      "https://app.frontapp.com/inboxes/teams/folders/123/unassigned/open/26322453318",
    ],
    [
      "Freshdesk agent and portal",
      "https://acme.freshdesk.com/a/tickets/9",
      "https://acme.freshdesk.com/support/tickets/9",
    ],
  ])("treats %s as one conversation", (_case, first, second) => {
    const { links } = recogniseLinks(`${first} and [again](${second})`, urlMatchers);
    expect(links).toHaveLength(1);
    // Each shape on its own is recognised, as the same conversation (an address-bar number says it was converted).
    const { fromAddressBar: _, ...alone } = recogniseLinks(second, urlMatchers).links[0]!;
    expect([alone]).toEqual(links);
  });

  it("says which links it made from an address-bar number", () => {
    expect(
      recogniseLinks(
        "[here](https://app.frontapp.com/inboxes/teams/folders/123/unassigned/open/26322453318) https://app.frontapp.com/open/cnv_ab",
        urlMatchers,
      ).links,
    ).toEqual([
      {
        provider: "front",
        account: "",
        conversationId: "cnv_c3bpiyu",
        url: "https://app.frontapp.com/open/cnv_c3bpiyu",
        fromAddressBar: true,
      },
      { provider: "front", account: "", conversationId: "cnv_ab", url: "https://app.frontapp.com/open/cnv_ab" },
    ]);
  });

  it("keeps the canonical URL of the first shape seen", () => {
    const { links } = recogniseLinks(
      "http://app.intercom.io/a/apps/ABC123DE/conversations/42 https://app.eu.intercom.com/a/inbox/abc123de/conversation/42",
      urlMatchers,
    );
    expect(links).toEqual([
      {
        provider: "intercom",
        account: "abc123de",
        conversationId: "42",
        url: "https://app.intercom.com/a/inbox/abc123de/inbox/conversation/42",
      },
    ]);
  });

  it("keeps the same ticket number in two accounts apart", () => {
    expect(ticketIds(`${ticket(1)} https://other.zendesk.com/agent/tickets/1`)).toEqual([
      "zendesk:acme:1",
      "zendesk:other:1",
    ]);
  });
});

describe("recogniseLinks: max_per_source", () => {
  const four = [ticket(1), ticket(2), ticket(1), ticket(3), ticket(2), ticket(4)].join(" ");

  it.each([
    [undefined, ["1", "2", "3", "4"], 0],
    [10, ["1", "2", "3", "4"], 0],
    [4, ["1", "2", "3", "4"], 0],
    [2, ["1", "2"], 2],
    [1, ["1"], 3],
    [0, [], 4],
  ])("max %s keeps %j and drops %d", (max, kept, truncated) => {
    const result = recogniseLinks(four, urlMatchers, max === undefined ? {} : { max });
    expect(result.links.map((link) => link.conversationId)).toEqual(kept);
    expect(result.truncated).toBe(truncated);
  });

  it.each([-1, 1.5, Number.NaN])("refuses max %s", (max) => {
    expect(() => recogniseLinks(four, urlMatchers, { max })).toThrow(RangeError);
  });

  it("does not count refused URLs against max", () => {
    const result = recogniseLinks(`${ticket("abc")} ${ticket(1)}`, urlMatchers, { max: 1 });
    expect(result.links.map((link) => link.conversationId)).toEqual(["1"]);
    expect(result.truncated).toBe(0);
  });
});

describe("recogniseLinks: refusals", () => {
  it("reports each refused URL once, as written, with the reason", () => {
    const markdown = [
      `${ticket("abc")}.`,
      ticket("abc"),
      "https://app.frontapp.com/open/msg_55c8c149",
      "https://app.frontapp.com/inboxes/x/open/0123",
      "https://user:secret@acme.zendesk.com/agent/tickets/1",
      "https://acme.zendesk.com:8443/agent/tickets/1",
      "https://example.com/agent/tickets/abc",
      "https://github.com/acme/app/issues/1",
    ].join("\n");
    expect(recogniseLinks(markdown, urlMatchers)).toEqual({
      links: [],
      rejected: [
        { provider: "zendesk", url: ticket("abc"), reason: "Zendesk ticket id must be digits: abc" },
        {
          provider: "front",
          url: "https://app.frontapp.com/open/msg_55c8c149",
          reason: "Front link does not point to a conversation (expected /open/cnv_…): msg_55c8c149",
        },
        {
          provider: "front",
          url: "https://app.frontapp.com/inboxes/x/open/0123",
          reason: "Front conversation number must not start with 0 (Front never prints one): 0123",
        },
        {
          provider: "zendesk",
          url: "https://user:secret@acme.zendesk.com/agent/tickets/1",
          reason: "conversation links never carry a user name or password",
        },
        {
          provider: "zendesk",
          url: "https://acme.zendesk.com:8443/agent/tickets/1",
          reason: "conversation links never carry a port: 8443",
        },
      ],
      truncated: 0,
    });
  });

  it("shortens a long id in the reason", () => {
    const { rejected } = recogniseLinks(ticket("x".repeat(100)), urlMatchers);
    expect(rejected.map((refusal) => refusal.reason)).toEqual([`Zendesk ticket id must be digits: ${"x".repeat(40)}…`]);
  });

  it.each([
    ["https://[::1", null],
    ["https://example.com/", null],
    [ticket(12), { provider: "zendesk", account: "acme", conversationId: "12", url: ticket(12) }],
  ])("recogniseUrl(%s)", (written, expected) => {
    expect(recogniseUrl(written, urlMatchers)).toEqual(expected);
  });
});

describe("recogniseLinks: linear time on hostile bodies", () => {
  const MB = 1 << 20;
  const bodies: [string, () => string, number][] = [
    ["1 MB of a", () => "a".repeat(MB), 0],
    ["1 MB of [", () => "[".repeat(MB), 0],
    ["1 MB of `", () => "`".repeat(MB), 0],
    ["1 MB of ` and a", () => "`a".repeat(MB / 2), 0],
    ["backtick runs of every length", () => backtickRunsOfEveryLength(MB), 0],
    ["1 MB of https://x", () => "https://x".repeat(Math.floor(MB / 9)), 0],
    ["1 MB of http://", () => "http://".repeat(Math.floor(MB / 7)), 0],
    ["1 MB of h", () => "h".repeat(MB), 0],
    ["1 MB of <!--", () => "<!--".repeat(MB / 4), 0],
    ["1 MB of >", () => ">".repeat(MB), 0],
    ["1 MB of quote lines", () => "> a\nb\n".repeat(MB / 6), 0],
    ["1 MB of fence lines", () => "```\n".repeat(MB / 4), 0],
    ["1 MB of indentation", () => " ".repeat(MB) + ticket(1), 0],
    ["1 MB of list markers", () => "- ".repeat(MB / 2), 0],
    ["1 MB of nested list lines", () => "  - a\n".repeat(MB / 6), 0],
    ["1 MB of escapes", () => "\\`".repeat(MB / 2), 0],
    ["1 MB of ( and )", () => `${ticket(1)}/${"(".repeat(MB / 2)}${")".repeat(MB / 2)}`, 1],
    ["a URL then 1 MB of )", () => `${ticket(1)}${")".repeat(MB)}`, 1],
    ["a URL then 1 MB of .", () => `${ticket(1)}${".".repeat(MB)}`, 1],
    ["a URL then 1 MB of a;", () => `${ticket(1)} ${ticket(2)}/${"a;".repeat(MB / 2)}`, 2],
    ["a URL then 1 MB of entity", () => `${ticket(1)}/${"a".repeat(MB)};`, 1],
    ["a 1 MB path", () => `https://acme.zendesk.com/agent/tickets/${"1".repeat(MB)}`, 0],
    ["20,000 distinct links", () => Array.from({ length: 20_000 }, (_, i) => ticket(i + 1)).join(" "), 20_000],
    [
      "20,000 links in markdown",
      () => Array.from({ length: 20_000 }, (_, i) => `[t](${ticket(i + 1)})`).join("\n"),
      20_000,
    ],
  ];

  it.each(bodies)("%s", (_name, body, links) => {
    const markdown = body();
    const started = performance.now();
    const result = recogniseLinks(markdown, urlMatchers);
    const elapsed = performance.now() - started;
    expect(result.links.length + result.truncated).toBe(links);
    expect(elapsed).toBeLessThan(LINEAR_BOUND_MS);
  });

  it("truncates 20,000 links to max in linear time", () => {
    const markdown = Array.from({ length: 20_000 }, (_, i) => ticket(i + 1)).join("\n");
    const started = performance.now();
    const result = recogniseLinks(markdown, urlMatchers, { max: 50 });
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
    expect(result.links).toHaveLength(50);
    expect(result.truncated).toBe(19_950);
  });
});

/** `a` then runs of 1, 2, 3… backticks separated by "a", none closed: the worst case for naive closer searches. */
function backtickRunsOfEveryLength(size: number): string {
  const parts: string[] = [];
  let total = 0;
  for (let length = 1; total < size; length++) {
    parts.push("`".repeat(length), "a");
    total += length + 1;
  }
  return parts.join("");
}
