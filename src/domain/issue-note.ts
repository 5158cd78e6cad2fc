/** What a note may say about the issue: the placeholders of `reopen.note` and `notify.note`. */
export interface IssueNoteValues {
  url: string;
  repository: string;
  number: string;
  title: string;
  /** a reopen note's close reason */
  reason?: string;
}

/**
 * The text of a note closeloop writes into a conversation (a reopen note, a link note). The rep reading it must be
 * able to find the issue, so a template without `{url}` gets the issue's address appended: a custom note ("Fixed in
 * the next release") would otherwise leave the rep to guess which issue, and the note could not be told from a
 * person's when the helpdesk sends it back (src/domain/own-notes.ts compares whole notes, URL included).
 */
export function issueNote(template: string, values: IssueNoteValues): string {
  const fields: Record<string, string | undefined> = { ...values };
  // A placeholder with no value (an unknown name, or {reason} in a link note) stays as written.
  const text = template.replace(/\{([a-z]+)\}/g, (whole, name: string) => fields[name] ?? whole);
  return template.includes("{url}") ? text : `${text} (GitHub issue: ${values.url})`;
}
