import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { issueNote } from "../../src/domain/issue-note.js";

const ISSUE = {
  url: "https://github.com/octo-org/app/issues/42",
  repository: "octo-org/app",
  number: "42",
  title: "Export fails",
};

describe("the text of a note written into a conversation", () => {
  it.each([
    [
      "the default link note",
      DEFAULT_CONFIG.notify.note,
      {},
      "Engineering is tracking this in https://github.com/octo-org/app/issues/42 (Export fails). This conversation will be reopened when the issue is closed.",
    ],
    [
      "the default reopen note",
      DEFAULT_CONFIG.reopen.note,
      { reason: "completed" },
      "The GitHub issue https://github.com/octo-org/app/issues/42 linked to this conversation was closed (completed). Follow up with the customer.",
    ],
    ["a custom note naming the issue by {url}", "See {url}", {}, "See https://github.com/octo-org/app/issues/42"],
    [
      "a custom note without {url}: the address is appended",
      "Fixed: {title}",
      {},
      "Fixed: Export fails (GitHub issue: https://github.com/octo-org/app/issues/42)",
    ],
    [
      "a custom note naming only {repository}#{number}: the address is appended",
      "{repository}#{number}",
      {},
      "octo-org/app#42 (GitHub issue: https://github.com/octo-org/app/issues/42)",
    ],
    [
      "every placeholder filled",
      "{repository}#{number} ({title}) closed as {reason}: {url}",
      { reason: "completed" },
      "octo-org/app#42 (Export fails) closed as completed: https://github.com/octo-org/app/issues/42",
    ],
    [
      "a placeholder without a value (an unknown one, {reason} in a link note) stays as written",
      "{unknown} {reason}: {url}",
      {},
      "{unknown} {reason}: https://github.com/octo-org/app/issues/42",
    ],
    [
      "a title that looks like a placeholder is not filled again",
      "{title}: {url}",
      { title: "{number}" },
      "{number}: https://github.com/octo-org/app/issues/42",
    ],
  ])("%s", (_, template, extra, text) => {
    expect(issueNote(template, { ...ISSUE, ...extra })).toBe(text);
  });
});
