import { describe, expect, it } from "vitest";
import { followUpKey, noteLanded, type PostedComment } from "../../src/domain/follow-up.js";

describe("followUpKey", () => {
  it("is the same on every attempt of a job, and differs between jobs, closes and tickets", () => {
    const job = { id: 17, closeId: 3, conversationId: "4821" };
    expect(followUpKey(job)).toBe("closeloop-reopen-3-17-4821");
    expect(followUpKey({ ...job })).toBe(followUpKey(job));
    expect(
      new Set([
        followUpKey(job),
        followUpKey({ ...job, id: 18 }),
        followUpKey({ ...job, closeId: 4 }),
        followUpKey({ ...job, conversationId: "4822" }),
      ]).size,
    ).toBe(4);
  });
});

describe("noteLanded", () => {
  const NOTE = "The GitHub issue https://github.com/o/r/issues/1 linked to this conversation was closed (completed).";
  const note = (body: string | null | undefined, isPublic: boolean | null | undefined = false): PostedComment => ({
    body,
    public: isPublic,
  });

  it.each<[string, PostedComment[], boolean]>([
    ["no comments", [], false],
    ["the same internal note", [note(NOTE)], true],
    ["the note among others", [note("customer wrote", true), note(NOTE), note("agent note")], true],
    ["with whitespace the helpdesk changed", [note(`  ${NOTE.replace(/ /g, "\n")}\n`)], true],
    ["the same text as a public reply", [note(NOTE, true)], false],
    ["visibility not stated", [note(NOTE, null)], false],
    [
      "another note",
      [note("The GitHub issue https://github.com/o/r/issues/2 linked to this conversation was closed (completed).")],
      false,
    ],
    ["a note that only starts with it", [note(`${NOTE} More.`)], false],
    ["a comment without a body", [note(null), note(undefined)], false],
  ])("%s → %s", (_, comments, expected) => {
    expect(noteLanded(comments, NOTE)).toBe(expected);
  });

  it("never takes a blank note for landed", () => {
    expect(noteLanded([note(""), note("  ")], " \n")).toBe(false);
  });
});
