import { describe, expect, it } from "vitest";
import { findUrls } from "../../src/domain/markdown-scanner.js";

const ticket = (id: number | string) => `https://acme.zendesk.com/agent/tickets/${id}`;

/** The URLs `markdown` shows as prose, in order, as written. */
const urlsIn = (markdown: string) => findUrls(markdown, "markdown");

describe("findUrls: markdown forms", () => {
  it.each([
    ["bare, mid-sentence", `See ${ticket(1)} please`],
    ["bare, alone", ticket(1)],
    ["inline link", `[the ticket](${ticket(1)})`],
    ["inline link with a title", `[the ticket](${ticket(1)} "Ticket 1")`],
    ["inline link with a single-quoted title", `[the ticket](${ticket(1)} 'Ticket 1')`],
    ["link whose text is the URL", `[${ticket(1)}](${ticket(1)})`],
    ["destination in angle brackets", `[t](<${ticket(1)}>)`],
    ["reference definition", `Reported in [the ticket].\n\n[the ticket]: ${ticket(1)}`],
    ["reference definition with a title", `[t]: ${ticket(1)} "Ticket"`],
    ["autolink", `<${ticket(1)}>`],
    ["HTML anchor", `<a href="${ticket(1)}">ticket</a>`],
    ["HTML anchor, single quotes", `<a href='${ticket(1)}' target="_blank">ticket</a>`],
    ["HTML anchor, unquoted", `<a href=${ticket(1)}>ticket</a>`],
    ["strong", `**${ticket(1)}**`],
    ["emphasis", `_${ticket(1)}_`],
    ["strikethrough", `~~${ticket(1)}~~`],
    ["heading", `## ${ticket(1)}`],
    ["list item", `- ${ticket(1)}`],
    ["ordered list item", `1. ${ticket(1)}`],
    ["table cell", `| ticket |\n| --- |\n| ${ticket(1)} |`],
    ["table cell without spaces", `|${ticket(1)}|`],
    ["task list item", `- [ ] follow up ${ticket(1)}`],
    ["after a digit", `1${ticket(1)}`],
    ["upper-case scheme", `HTTPS://acme.zendesk.com/agent/tickets/1`],
    ["CRLF line endings", `first line\r\n${ticket(1)}\r\n`],
  ])("%s", (_form, markdown) => {
    expect(new Set(urlsIn(markdown).map((url) => url.toLowerCase()))).toEqual(new Set([ticket(1)]));
  });

  it.each([
    ["glued to a word", `see:xhttps://acme.zendesk.com/agent/tickets/1`],
    ["no scheme", `acme.zendesk.com/agent/tickets/1`],
    ["another scheme", `ftp://acme.zendesk.com/agent/tickets/1`],
    ["scheme only", `https:// and http://`],
  ])("finds nothing %s", (_form, markdown) => {
    expect(urlsIn(markdown)).toEqual([]);
  });
});

describe("findUrls: where the URL ends", () => {
  it.each([
    ".",
    ",",
    ";",
    ":",
    "!",
    "?",
    "'",
    '"',
    "*",
    "_",
    "~",
    ">",
    "...",
    "?!",
    ").",
    "&quot;",
    "&amp;",
    "。",
    "，",
    "”",
    "…",
    "\u00a0more",
    "\u3000more",
  ])("drops a trailing %j", (suffix) => {
    const written = `(see ${ticket(2)}${suffix}`;
    expect(urlsIn(written)).toEqual([ticket(2)]);
  });

  it.each([
    ["(see https://example.com/a_(b))", "https://example.com/a_(b)"],
    ["https://example.com/a_(b)", "https://example.com/a_(b)"],
    ["https://example.com/a)", "https://example.com/a"],
    ["https://example.com/a))).", "https://example.com/a"],
    ["https://example.com/?q=1&x=2;", "https://example.com/?q=1&x=2"],
    ["https://example.com/a;b", "https://example.com/a;b"],
    ["https://example.com/a.b.c", "https://example.com/a.b.c"],
    ["“https://example.com/a”", "https://example.com/a"],
    ["<https://example.com/a>", "https://example.com/a"],
    ["[x](https://example.com/a)[y](https://example.com/b)", "https://example.com/a https://example.com/b"],
    ["https://example.com/a|https://example.com/b", "https://example.com/a https://example.com/b"],
    ["`https://example.com/a`", ""],
    ["https://example.com/a`b`", "https://example.com/a"],
  ])("%s → %s", (markdown, expected) => {
    expect(urlsIn(markdown).join(" ")).toBe(expected);
  });
});

describe("findUrls: code is not prose", () => {
  it.each([
    ["backtick fence", "```\nhttps://acme.zendesk.com/agent/tickets/3\n```"],
    ["tilde fence", "~~~\nhttps://acme.zendesk.com/agent/tickets/3\n~~~"],
    ["fence with an info string", '```markdown title="x"\nhttps://acme.zendesk.com/agent/tickets/3\n```'],
    ["URL in the info string", "``` https://acme.zendesk.com/agent/tickets/3\ncode\n```"],
    ["long fence holding a short one", "`````\n```\n```\nhttps://acme.zendesk.com/agent/tickets/3\n`````"],
    ["tilde fence holding backticks", "~~~\n```\nhttps://acme.zendesk.com/agent/tickets/3\n~~~"],
    ["unclosed fence runs to the end", "text\n```\nhttps://acme.zendesk.com/agent/tickets/3\n\nmore\n"],
    ["indented fence", "   ```\nhttps://acme.zendesk.com/agent/tickets/3\n   ```"],
    ["fence in a list item", "- item\n\n  ```\n  https://acme.zendesk.com/agent/tickets/3\n  ```"],
    ["indented code", "text\n\n    https://acme.zendesk.com/agent/tickets/3"],
    ["tab-indented code", "\thttps://acme.zendesk.com/agent/tickets/3"],
    ["indented code after a heading", "# Title\n    https://acme.zendesk.com/agent/tickets/3"],
    ["indented code after a rule", "para\n\n---\n    https://acme.zendesk.com/agent/tickets/3"],
    ["indented code in a list item", "- item\n\n      https://acme.zendesk.com/agent/tickets/3"],
    ["inline code", "run `curl https://acme.zendesk.com/agent/tickets/3` now"],
    ["double-backtick code", "``a ` https://acme.zendesk.com/agent/tickets/3``"],
    ["inline code across lines", "a `code\nhttps://acme.zendesk.com/agent/tickets/3` b"],
    ["inline code that looks like a fence", "```js https://acme.zendesk.com/agent/tickets/3```"],
    ["HTML comment", "<!-- https://acme.zendesk.com/agent/tickets/3 -->"],
    ["multi-line HTML comment", "<!--\nPaste the link:\n\nhttps://acme.zendesk.com/agent/tickets/3\n-->"],
    ["inline HTML comment", "text <!-- https://acme.zendesk.com/agent/tickets/3 --> text"],
    ["unclosed HTML comment block", "<!-- template\nhttps://acme.zendesk.com/agent/tickets/3"],
    ["a line that opens with a comment (an HTML block)", "<!-- x --> https://acme.zendesk.com/agent/tickets/3"],
  ])("ignores a URL in %s", (_form, markdown) => {
    expect(urlsIn(markdown)).toEqual([]);
  });

  it.each([
    [
      "after a closed fence",
      "```\nhttps://acme.zendesk.com/agent/tickets/9\n```\nhttps://acme.zendesk.com/agent/tickets/4",
    ],
    ["after a fence closed by a longer one", "```\ncode\n`````\nhttps://acme.zendesk.com/agent/tickets/4"],
    ["indented under an open paragraph", "text\n    https://acme.zendesk.com/agent/tickets/4"],
    ["continuing a list item", "- item\n    https://acme.zendesk.com/agent/tickets/4"],
    ["in a list item's second paragraph", "- item\n\n  https://acme.zendesk.com/agent/tickets/4"],
    ["in a nested list item", "- item\n    - https://acme.zendesk.com/agent/tickets/4"],
    ["after an unmatched backtick", "`oops https://acme.zendesk.com/agent/tickets/4"],
    ["after an escaped backtick", "\\`https://acme.zendesk.com/agent/tickets/4\\`"],
    ["after a backtick pair closed in an earlier paragraph", "`a\n\nhttps://acme.zendesk.com/agent/tickets/4 `"],
    ["after inline code", "`x` https://acme.zendesk.com/agent/tickets/4"],
    ["after an inline comment", "text <!-- x --> https://acme.zendesk.com/agent/tickets/4"],
    ["after an unclosed inline comment", "text <!-- https://acme.zendesk.com/agent/tickets/4"],
    ["after a multi-line comment", "<!--\nx\n-->\nhttps://acme.zendesk.com/agent/tickets/4"],
    ["in a paragraph after code", "    code\nhttps://acme.zendesk.com/agent/tickets/4"],
  ])("takes a URL %s", (_form, markdown) => {
    expect(urlsIn(markdown)).toEqual([ticket(4)]);
  });
});

describe("findUrls: quoted replies are not the author's", () => {
  it.each([
    ["a quote", "> https://acme.zendesk.com/agent/tickets/5"],
    ["an indented quote", "   > https://acme.zendesk.com/agent/tickets/5"],
    ["a quote without a space", ">https://acme.zendesk.com/agent/tickets/5"],
    ["a nested quote", ">> https://acme.zendesk.com/agent/tickets/5"],
    ["a spaced nested quote", "> > https://acme.zendesk.com/agent/tickets/5"],
    ["a quoted fence", "> ```\n> https://acme.zendesk.com/agent/tickets/5\n> ```"],
    ["a quote's lazy continuation", "> quoted\nhttps://acme.zendesk.com/agent/tickets/5"],
    ["a quote's indented lazy continuation", "> quoted\n    https://acme.zendesk.com/agent/tickets/5"],
    [
      "an e-mail reply",
      [
        "Thanks, linking this.",
        "",
        "On Tue, Jan 2, 2024 at 10:00 AM Jane Doe <jane@example.com> wrote:",
        "> Customer says: https://acme.zendesk.com/agent/tickets/5",
        ">",
        ">> On Mon, Jan 1, 2024, Support <help@example.com> wrote:",
        ">> https://acme.zendesk.com/agent/tickets/5",
      ].join("\n"),
    ],
  ])("ignores %s", (_form, markdown) => {
    expect(urlsIn(markdown)).toEqual([]);
  });

  it.each([
    ["after a blank line", "> quoted\n\nhttps://acme.zendesk.com/agent/tickets/6"],
    ["in a list that interrupts the quote", "> quoted\n- https://acme.zendesk.com/agent/tickets/6"],
    ["in a heading that interrupts the quote", "> quoted\n# https://acme.zendesk.com/agent/tickets/6"],
    ["after a quoted fence opener", "> ```\nhttps://acme.zendesk.com/agent/tickets/6"],
    ["after an empty quote line", ">\nhttps://acme.zendesk.com/agent/tickets/6"],
    ["in a line with > later on", "a > b https://acme.zendesk.com/agent/tickets/6"],
  ])("takes a URL %s", (_form, markdown) => {
    expect(urlsIn(markdown)).toEqual([ticket(6)]);
  });
});

describe("findUrls: plain text", () => {
  it("reads code and quotes too (helpdesk messages are not markdown), still skipping HTML comments", () => {
    const text = `\`${ticket(1)}\`\n> ${ticket(2)}\n<!-- ${ticket(3)} -->\n    ${ticket(4)}`;
    expect(findUrls(text, "plain")).toEqual([ticket(1), ticket(2), ticket(4)]);
    expect(urlsIn(text)).toEqual([]);
  });
});
