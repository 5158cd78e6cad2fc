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
  return text
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity, name: string) => {
      if (name.startsWith("#x") || name.startsWith("#X")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      if (name.startsWith("#")) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
      return ENTITIES[name.toLowerCase()] ?? entity;
    })
    .replace(/\s+/g, " ")
    .trim();
}
