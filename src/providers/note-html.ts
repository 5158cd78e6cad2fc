/**
 * Intercom, Help Scout and Freshdesk read a note body as HTML. The note is plain text from the repository's config
 * with a GitHub URL in it, so it is escaped (a "<" in an issue title must not become markup) and kept on its lines.
 */
export function noteAsHtml(text: string): string {
  const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return escaped
    .split(/\r?\n/)
    .map((line) => `<p>${line}</p>`)
    .join("");
}
