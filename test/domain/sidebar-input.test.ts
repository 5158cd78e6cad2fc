import { describe, expect, it } from "vitest";
import {
  createdIssueBody,
  mayCreateIn,
  readNamedIssue,
  readSidebarRepositories,
  searchWords,
} from "../../src/domain/sidebar-input.js";

describe("readNamedIssue", () => {
  it.each([
    ["https://github.com/Octo/App/issues/12", { owner: "octo", repo: "app", number: 12 }],
    ["  <https://github.com/octo/app/issues/12#issuecomment-1>  ", { owner: "octo", repo: "app", number: 12 }],
    ["Octo/App#7", { owner: "octo", repo: "app", number: 7 }],
    ["", { problem: "paste an issue URL, or pick an issue from the search" }],
    ["https://github.com/Octo/App/issues/12/?q=is%3Aopen#issuecomment-9", { owner: "octo", repo: "app", number: 12 }],
    ["https://github.com/octo/app/pull/3", { problem: "that is a pull request, not an issue" }],
    ["https://github.com/octo/app/pull/3/files#diff-1", { problem: "that is a pull request, not an issue" }],
    [
      "https://gitlab.com/octo/app/issues/3",
      { problem: "that URL is on gitlab.com, not on closeloop's GitHub (github.com)" },
    ],
    ["octo/app#0", { problem: expect.stringContaining("expected https://github.com/<owner>/<repo>/issues/<number>") }],
    ["octo/app#99999999999", { problem: expect.stringContaining("or <owner>/<repo>#<number>") }],
    ["https://github.com/octo/app", { problem: expect.stringContaining("expected https://github.com/") }],
    ["https://github.com/a/b/issues/1 https://github.com/a/b/issues/2", { problem: "paste one issue URL at a time" }],
  ])("%j", (text, expected) => {
    expect(readNamedIssue(text, "github.com")).toEqual(expected);
  });

  it("takes only the configured GitHub host", () => {
    expect(readNamedIssue("https://github.com/a/b/issues/1", "ghe.example.com")).toEqual({
      problem: "that URL is on github.com, not on closeloop's GitHub (ghe.example.com)",
    });
    expect(readNamedIssue("https://ghe.example.com/a/b/issues/1", "ghe.example.com")).toEqual({
      owner: "a",
      repo: "b",
      number: 1,
    });
  });
});

describe("searchWords", () => {
  it.each([
    ["  checkout   500 ", ["checkout", "500"]],
    ["a", []],
    ["a bc", ["bc"]],
    ["1 2 3 4 5 6 7 8 9 10 11 aa bb cc dd ee ff gg hh ii", ["10", "11", "aa", "bb", "cc", "dd", "ee", "ff"]],
  ])("%j", (query, expected) => expect(searchWords(query)).toEqual(expected));
});

describe("readSidebarRepositories and mayCreateIn", () => {
  it.each([
    [undefined, null],
    ["", null],
    ["*", { every: true }],
    ["Octo/App, octo/app ,else/where", { every: false, names: ["octo/app", "else/where"] }],
    ["*, octo/app", { problem: '"*" stands alone: every repository the app is on' }],
    ["octo", { problem: '"octo" is not owner/repo' }],
  ])("%j", (value, expected) => expect(readSidebarRepositories(value)).toEqual(expected));

  it("allows only the listed repositories, in any case; none when unset", () => {
    expect(mayCreateIn({ every: false, names: ["octo/app"] }, "Octo/App")).toBe(true);
    expect(mayCreateIn({ every: false, names: ["octo/app"] }, "octo/other")).toBe(false);
    expect(mayCreateIn({ every: true }, "any/thing")).toBe(true);
    expect(mayCreateIn(null, "octo/app")).toBe(false);
  });
});

describe("createdIssueBody", () => {
  it("puts the rep's text first, then the conversation and who reported it", () => {
    const input = { conversationUrl: "https://acme.zendesk.com/agent/tickets/1", helpdesk: "Zendesk", rep: "Ann" };
    expect(createdIssueBody({ ...input, body: " Broken. " })).toBe(
      "Broken.\n\n---\nConversation: https://acme.zendesk.com/agent/tickets/1\n\nReported via Zendesk by Ann",
    );
    expect(createdIssueBody({ ...input, body: "" })).toBe(
      "Conversation: https://acme.zendesk.com/agent/tickets/1\n\nReported via Zendesk by Ann",
    );
  });
});
