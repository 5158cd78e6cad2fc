import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRepoConfig, RepoConfigError } from "../../src/config/repo-config.js";
import { findUrls } from "../../src/domain/markdown-scanner.js";
import { mentionedIssues } from "../../src/domain/mentioned-issues.js";
import { isOwnNote, plainText } from "../../src/domain/own-notes.js";
import { recogniseIssueUrls } from "../../src/domain/recognise-issue-urls.js";
import { recogniseLinks } from "../../src/domain/recognise-links.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import { conformanceCases } from "../providers/conformance-cases.js";
import { LINEAR_BOUND_MS } from "../support/linear-time.js";

/**
 * Issue bodies, comments and helpdesk messages are written by anyone (SPEC §12: every parser is linear in its input).
 * Each text parser is fed random and adversarial text: it never throws, and 200 KB of each hostile pattern takes
 * a bounded time. The bound is coarse on purpose (a quadratic parser takes seconds on 200 KB, a linear one
 * milliseconds): it catches the blow-up, not a slowdown.
 */
const PARSERS: [string, (text: string) => unknown][] = [
  ["findUrls (markdown)", (text) => findUrls(text, "markdown")],
  ["findUrls (plain)", (text) => findUrls(text, "plain")],
  ["recogniseLinks", (text) => recogniseLinks(text, urlMatchers)],
  ["recogniseIssueUrls", (text) => recogniseIssueUrls(text, "github.com")],
  ["plainText", (text) => plainText(text)],
  ["isOwnNote", (text) => isOwnNote(text, ["a note https://github.com/o/r/issues/1"])],
  ["mentionedIssues", (text) => mentionedIssues([{ text, at: "2026-01-01T00:00:00Z" }], "github.com", new Date())],
];

/**
 * Every helpdesk's conversation address up to its last segment ("acme.zendesk.com/agent/tickets/"), from the
 * registry's conformance cases, so a new helpdesk's matcher is fed hostile text too.
 */
const HELPDESK_PREFIXES = [...conformanceCases.values()].map((scenario) => {
  const address = scenario.conversation(1).url.replace(/^https:\/\//, "");
  return address.slice(0, address.lastIndexOf("/", address.length - 2) + 1);
});

// The pieces markdown, HTML, entities and URLs are made of, so random text hits the parsers' branches.
const PIECES = [
  "<",
  ">",
  '<a href="',
  '">',
  "</a>",
  "<!--",
  "-->",
  "[",
  "]",
  "(",
  ")",
  "](",
  "![",
  "`",
  "```",
  "~~~",
  "    ",
  "\n",
  "\n\n",
  "> ",
  "*",
  "_",
  "\\",
  "&",
  "&#",
  "&#x",
  ";",
  "&amp;",
  "&#99999999;",
  "&#x110000;",
  '"',
  "'",
  " ",
  "\t",
  "https://",
  "http://",
  "github.com/",
  "octo/app/issues/",
  "42",
  ...HELPDESK_PREFIXES,
  "#",
  "?",
  "%",
  "/",
  ".",
  ":",
];
const hostileText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }).map((pieces) => pieces.join("")),
);

// Each repeated to about 200 KB.
const HOSTILE_PATTERNS = [
  "<",
  "<a",
  '<a href="',
  "<!--",
  "[",
  "[a](",
  "](",
  "![",
  "(",
  "`",
  "``",
  "*",
  "_",
  "\\",
  "&",
  "&#",
  "&#x",
  "&a",
  "> ",
  ">\n",
  "    ",
  "\n",
  "|",
  "https://",
  "http://a",
  "https://github.com/",
  "https://github.com/o/r/issues/",
  ...HELPDESK_PREFIXES.map((prefix) => `https://${prefix}`),
  "<https://",
  "[https://github.com/o/r/issues/1](",
  "&#99999999;",
  "&lt;",
  "a",
];
const SIZE = 200_000;
// 200 KB: a fifth of the 1 MB the bound is set for.
const BOUND_MS = LINEAR_BOUND_MS / 5;

describe("text parsers on hostile input", () => {
  it.each(PARSERS)("%s never throws on random text", (_, parse) => {
    fc.assert(
      fc.property(hostileText, (text) => void parse(text)),
      { numRuns: 500 },
    );
  });

  it.each(PARSERS)("%s reads 200 KB of each hostile pattern in linear time", (_, parse) => {
    const slow: string[] = [];
    for (const pattern of HOSTILE_PATTERNS) {
      const text = pattern.repeat(Math.ceil(SIZE / pattern.length));
      const started = performance.now();
      parse(text);
      const took = performance.now() - started;
      if (took > BOUND_MS) slow.push(`${JSON.stringify(pattern)}: ${Math.round(took)} ms`);
    }
    expect(slow).toEqual([]);
  });

  it("decodes an entity beyond Unicode as U+FFFD instead of throwing", () => {
    expect(plainText("a &#99999999; b &#x110000; c &#0;")).toBe("a \uFFFD b \uFFFD c \uFFFD");
  });
});

describe("recognition is stable under markdown wrapping", () => {
  const TICKET = "https://acme.zendesk.com/agent/tickets/4242";
  const ISSUE = "https://github.com/octo-org/app/issues/42";
  const wrap = fc.constantFrom(
    (url: string) => url,
    (url: string) => `[see](${url})`,
    (url: string) => `<${url}>`,
    (url: string) => `**${url}**`,
    (url: string) => `_${url}_`,
    (url: string) => `(${url})`,
    (url: string) => `${url}.`,
    (url: string) => `[${url}](${url})`,
    (url: string) => `<a href="${url}">${url}</a>`,
  );
  // Prose around the URL that cannot itself be part of one or open a code span, quote or comment.
  const prose = fc
    .string({ unit: fc.constantFrom("a", "b", " ", ",", "\n"), maxLength: 20 })
    .map((text) => text.replace(/^\s+|\s+$/g, ""));

  it("finds the same conversation however the URL is wrapped, once however often it is written", () => {
    fc.assert(
      fc.property(fc.array(wrap, { minLength: 1, maxLength: 4 }), prose, prose, (wrappers, before, after) => {
        const markdown = `${before} ${wrappers.map((wrapper) => wrapper(TICKET)).join(" ")} ${after}`;
        expect(recogniseLinks(markdown, urlMatchers).links.map((link) => link.conversationId)).toEqual(["4242"]);
      }),
      { numRuns: 300 },
    );
  });

  it("finds the same issue however its URL is wrapped", () => {
    fc.assert(
      fc.property(wrap, prose, prose, (wrapper, before, after) => {
        const text = `${before} ${wrapper(ISSUE)} ${after}`;
        expect(
          recogniseIssueUrls(text, "github.com").map((issue) => `${issue.owner}/${issue.repo}#${issue.number}`),
        ).toContain("octo-org/app#42");
      }),
      { numRuns: 300 },
    );
  });
});

describe("the repository config schema on random YAML", () => {
  // What a YAML parser can produce: mappings, lists, strings, numbers, booleans, null, nested.
  const yamlValue = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 10 }), tie("value"), { maxKeys: 4 }),
    ),
  })).value;
  const KEYS = [
    "labels",
    "frequency",
    "teams",
    "reopen",
    "note",
    "links",
    "comment",
    "enabled",
    "from",
    "max_per_issue",
    "by",
    "details",
    "window_days",
    "thresholds",
    "_extends",
    "__proto__",
    "constructor",
  ];
  const configLike = fc.dictionary(
    fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 10 })),
    fc.oneof(yamlValue, fc.dictionary(fc.constantFrom(...KEYS), yamlValue, { maxKeys: 4 })),
    { maxKeys: 5 },
  );

  it("accepts it or refuses it with a RepoConfigError, never another error", () => {
    fc.assert(
      fc.property(fc.oneof(configLike, yamlValue), (raw) => {
        try {
          parseRepoConfig(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(RepoConfigError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
