/**
 * closeloop's own reopen notes name the URL, so the helpdesk's webhook for such a note would read as a person
 * linking the conversation to the issue. A message is closeloop's own when its text, with markup taken off, is one of
 * the notes closeloop rendered for the issues it names (IssueClose.note), however the helpdesk wrapped it (Intercom,
 * Help Scout and Freshdesk take HTML: src/providers/note-html.ts).
 */
export function isOwnNote(message: string, notes: readonly string[]): boolean {
  // The message as plain text (Zendesk, Front) or as HTML; the notes are plain text, "<" and all.
  const forms = new Set([collapse(message), plainText(message)].filter((form) => form !== ""));
  return notes.some((note) => forms.has(collapse(note)));
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** The words of a message: tags become spaces, the common entities are decoded, runs of white space become one. */
export function plainText(text: string): string {
  return stripTags(text)
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity, name: string) => {
      if (name.startsWith("#x") || name.startsWith("#X")) return character(Number.parseInt(name.slice(2), 16));
      if (name.startsWith("#")) return character(Number.parseInt(name.slice(1), 10));
      return ENTITIES[name.toLowerCase()] ?? entity;
    })
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Each `<…>` becomes a space, in one pass. The regex /<[^>]*>/g did the same, but from every "<" it read to the end of
 * the text looking for a ">", so a message of many "<" took quadratic time (64K of them: seconds, the event loop blocked).
 * Once no ">" follows, no later "<" can close either, and the rest is text.
 */
function stripTags(text: string): string {
  let plain = "";
  let from = 0;
  for (;;) {
    const open = text.indexOf("<", from);
    const close = open === -1 ? -1 : text.indexOf(">", open + 1);
    if (close === -1) return plain + text.slice(from);
    plain += text.slice(from, open) + " ";
    from = close + 1;
  }
}

/** A numeric entity's character; one beyond Unicode (String.fromCodePoint throws on it) is U+FFFD, as browsers read it. */
function character(codePoint: number): string {
  return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : "\uFFFD";
}
