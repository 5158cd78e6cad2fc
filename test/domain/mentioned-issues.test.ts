import { describe, expect, it } from "vitest";
import { MAX_ISSUES_PER_EVENT, mentionedIssues } from "../../src/domain/mentioned-issues.js";

const FALLBACK = new Date("2026-11-23T12:00:00Z");

describe("mentionedIssues", () => {
  it("names each issue once, dated by the earliest message that names it, in the order the messages name them", () => {
    const { mentions, truncated } = mentionedIssues(
      [
        {
          text: "<p>https://github.com/octo-org/app/issues/2 and https://github.com/octo-org/app/issues/1</p>",
          at: "2026-11-23T10:00:00Z",
        },
        { text: "earlier: https://github.com/Octo-Org/App/issues/1", at: "2026-11-23T08:00:00Z" },
        { text: "no time: https://github.com/octo-org/app/issues/3", at: "" },
      ],
      "github.com",
      FALLBACK,
    );
    expect(truncated).toBe(0);
    expect(mentions.map(({ issue, at }) => [`${issue.owner}/${issue.repo}#${issue.number}`, at.toISOString()])).toEqual(
      [
        ["octo-org/app#2", "2026-11-23T10:00:00.000Z"],
        ["octo-org/app#1", "2026-11-23T08:00:00.000Z"],
        ["octo-org/app#3", FALLBACK.toISOString()],
      ],
    );
  });

  it.each([
    ["another host", "https://gitlab.com/octo-org/app/issues/1"],
    ["a pull request", "https://github.com/octo-org/app/pull/1"],
    ["no URL", "see issue 1"],
  ])("finds nothing in %s", (_case, text) => {
    expect(mentionedIssues([{ text, at: "2026-11-23T10:00:00Z" }], "github.com", FALLBACK).mentions).toEqual([]);
  });

  it("reads only the configured GitHub Enterprise host", () => {
    const text = "https://github.com/a/b/issues/1 https://ghe.example.com:8443/a/b/issues/2";
    expect(
      mentionedIssues([{ text, at: "" }], "ghe.example.com:8443", FALLBACK).mentions.map(
        (mention) => mention.issue.number,
      ),
    ).toEqual([2]);
  });

  it(`keeps the first ${MAX_ISSUES_PER_EVENT} issues of an event and counts the rest`, () => {
    const text = Array.from(
      { length: MAX_ISSUES_PER_EVENT + 3 },
      (_, i) => `https://github.com/a/b/issues/${i + 1}`,
    ).join(" ");
    const { mentions, truncated } = mentionedIssues([{ text, at: "" }], "github.com", FALLBACK);
    expect(mentions).toHaveLength(MAX_ISSUES_PER_EVENT);
    expect(truncated).toBe(3);
  });
});
