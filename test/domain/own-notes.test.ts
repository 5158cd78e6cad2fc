import { describe, expect, it } from "vitest";
import { isOwnNote, plainText } from "../../src/domain/own-notes.js";
import { noteAsHtml } from "../../src/providers/note-html.js";

const NOTE =
  'The GitHub issue https://github.com/octo-org/app/issues/42 linked to this conversation was closed (completed). Follow up with the customer about "<export>" & co.';

describe("closeloop's own notes, as a helpdesk sends them back", () => {
  it.each([
    ["the note as sent (Zendesk, Front: plain text)", NOTE, true],
    ["the note as HTML (Intercom, Help Scout, Freshdesk)", noteAsHtml(NOTE), true],
    [
      "wrapped in more markup, with numeric entities",
      `<div class="note"><p>${noteAsHtml(NOTE).replace(/&quot;/g, "&#34;")}</p></div>`,
      true,
    ],
    ["with other line breaks and spaces", NOTE.replace(/ /g, "\n  "), true],
    ["a person's note naming the same issue", "Customer hit https://github.com/octo-org/app/issues/42 again", false],
    ["the note with a person's words added", `${NOTE} Done, told them.`, false],
    ["an empty message", "<p></p>", false],
  ])("%s", (_, message, own) => {
    expect(isOwnNote(message, ["another note", NOTE])).toBe(own);
  });

  it("takes tags off and decodes entities", () => {
    expect(plainText("<p>a &amp; b</p><p>&lt;c&gt; &#x263A; &unknown;</p>")).toBe("a & b <c> ☺ &unknown;");
  });
});
