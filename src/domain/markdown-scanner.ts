/*
 * The URLs a GitHub issue body or comment shows as prose, found by a scanner of the CommonMark that GitHub renders.
 *
 * Issue bodies and comments are attacker-controlled and can be 1 MB, and this runs on every webhook, so everything
 * here is a single forward pass: no regular expression runs over more than one line, and every search that could be
 * repeated (closing backticks, closing comments) remembers what it already scanned.
 *
 * What counts as "written by the author" follows what GitHub renders as prose: URLs in fenced or indented code, in
 * inline code, in HTML comments (issue templates keep their example links there) and in quoted replies are ignored.
 * A quote swallows the unquoted lines that follow it until a blank line, as GitHub renders them ("lazy
 * continuation"). Block structure beyond that (HTML blocks, <pre>, link reference resolution) is not modelled: a URL
 * anywhere else is taken wherever it is written, in link text, in a destination, or bare.
 */

export type TextFormat = "markdown" | "plain";

/**
 * Every http(s) URL in `text`, in order, as written (duplicates included). "markdown" skips what GitHub would not
 * render as prose (see the top of this file); "plain" reads everything, which suits helpdesk messages, plain or HTML.
 */
export function findUrls(text: string, format: TextFormat): string[] {
  const found: string[] = [];
  if (format === "plain") scanInline(text, false, found);
  else for (const prose of proseRuns(text)) scanInline(prose, true, found);
  return found;
}

/* ---------- blocks: which lines are prose ---------- */

interface Indent {
  /** Columns, with tabs to the next multiple of 4 as CommonMark counts them. */
  columns: number;
  /** Index of the first character that is not a space or tab. */
  offset: number;
}

interface Fence {
  marker: number;
  length: number;
}

/**
 * Runs of consecutive prose lines, as one string each so an inline code span can cross a line break the way it
 * does inside a paragraph; a blank line or any non-prose line ends a run.
 */
function* proseRuns(text: string): Generator<string> {
  let fence: Fence | null = null;
  let inComment = false;
  let quoteContinues = false;
  let paragraphOpen = false;
  let previousBlank = true;
  let listContent: number | null = null;
  let runStart = -1;
  let runEnd = -1;

  for (let lineStart = 0; lineStart <= text.length;) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    const prose = classify(line);
    if (prose) {
      if (runStart === -1) runStart = lineStart;
      runEnd = lineEnd;
    } else if (runStart !== -1) {
      yield text.slice(runStart, runEnd);
      runStart = -1;
    }
    lineStart = lineEnd + 1;
  }
  if (runStart !== -1) yield text.slice(runStart, runEnd);

  function classify(line: string): boolean {
    const nesting = listContent ?? 0;
    if (fence !== null) {
      if (closesFence(line, fence, nesting)) fence = null;
      return false;
    }
    if (inComment) {
      if (line.includes("-->")) inComment = false;
      return false;
    }
    const indent = indentOf(line);
    if (indent.offset === line.length || (indent.offset === line.length - 1 && line.endsWith("\r"))) {
      paragraphOpen = false;
      quoteContinues = false;
      previousBlank = true;
      return false;
    }
    const wasBlank = previousBlank;
    previousBlank = false;
    const first = line.charCodeAt(indent.offset);

    if (first === GREATER_THAN) {
      quoteContinues = quoteHasParagraph(line, indent.offset);
      paragraphOpen = false;
      return false;
    }
    const blockIndent = indent.columns <= nesting + 3;
    const opens = blockIndent ? opensFence(line, indent.offset) : null;
    const opensComment = blockIndent && line.startsWith("<!--", indent.offset);
    const startsBlock =
      opens !== null ||
      opensComment ||
      (blockIndent && startsHeading(line, indent.offset)) ||
      listMarkerEnd(line, indent.offset) !== -1;
    if (quoteContinues && !startsBlock) return false;
    quoteContinues = false;

    if (opens !== null) {
      fence = opens;
      paragraphOpen = false;
      return false;
    }
    if (opensComment) {
      inComment = !line.includes("-->", indent.offset + 4);
      paragraphOpen = false;
      return false;
    }
    if (!paragraphOpen && indent.columns >= nesting + 4) return false;

    if (blockIndent) {
      const markerEnd = listMarkerEnd(line, indent.offset);
      if (markerEnd !== -1) {
        listContent = indent.columns + contentColumn(line, indent.offset, markerEnd);
      } else if (wasBlank && listContent !== null && indent.columns < listContent) {
        listContent = null;
      }
    }
    paragraphOpen = !startsHeading(line, indent.offset) && !isRule(line, indent.offset);
    return true;
  }
}

const BACKTICK = 0x60;
const TILDE = 0x7e;
const GREATER_THAN = 0x3e;
const SPACE = 0x20;
const TAB = 0x09;

function indentOf(line: string): Indent {
  let columns = 0;
  let offset = 0;
  for (; offset < line.length; offset++) {
    const c = line.charCodeAt(offset);
    if (c === SPACE) columns++;
    else if (c === TAB) columns += 4 - (columns % 4);
    else break;
  }
  return { columns, offset };
}

function runLength(text: string, from: number, code: number): number {
  let end = from;
  while (end < text.length && text.charCodeAt(end) === code) end++;
  return end - from;
}

function opensFence(line: string, offset: number): Fence | null {
  const marker = line.charCodeAt(offset);
  if (marker !== BACKTICK && marker !== TILDE) return null;
  const length = runLength(line, offset, marker);
  if (length < 3) return null;
  // A backtick in the info string makes the line inline code (```a```), not a fence.
  if (marker === BACKTICK && line.includes("`", offset + length)) return null;
  return { marker, length };
}

function closesFence(line: string, fence: Fence, nesting: number): boolean {
  const indent = indentOf(line);
  if (indent.columns > nesting + 3) return false;
  const length = runLength(line, indent.offset, fence.marker);
  if (length < fence.length) return false;
  return line.slice(indent.offset + length).trim() === "";
}

/** A quote line whose text could continue lazily on the next, unquoted line (not empty, not opening a fence). */
function quoteHasParagraph(line: string, offset: number): boolean {
  let at = offset;
  while (at < line.length) {
    const c = line.charCodeAt(at);
    if (c !== GREATER_THAN && c !== SPACE && c !== TAB) break;
    at++;
  }
  const rest = line.slice(at).trimEnd();
  return rest !== "" && opensFence(rest, 0) === null;
}

function startsHeading(line: string, offset: number): boolean {
  const hashes = runLength(line, offset, 0x23);
  if (hashes < 1 || hashes > 6) return false;
  const after = line.charCodeAt(offset + hashes);
  return Number.isNaN(after) || after === SPACE || after === TAB || after === 0x0d;
}

/** A thematic break or setext underline: it ends the paragraph, so an indented line after it is code. */
function isRule(line: string, offset: number): boolean {
  const marker = line.charCodeAt(offset);
  if (marker !== 0x2d && marker !== 0x2a && marker !== 0x5f && marker !== 0x3d) return false;
  let count = 0;
  for (let at = offset; at < line.length; at++) {
    const c = line.charCodeAt(at);
    if (c === marker) count++;
    else if (c !== SPACE && c !== TAB && c !== 0x0d) return false;
  }
  return count >= (marker === 0x3d ? 1 : 3);
}

/** Index just past a list marker ("-", "*", "+", "1." or "1)") followed by a space or the line end, else -1. */
function listMarkerEnd(line: string, offset: number): number {
  const c = line.charCodeAt(offset);
  let end = -1;
  if (c === 0x2d || c === 0x2a || c === 0x2b) end = offset + 1;
  else {
    let digits = offset;
    while (digits < line.length && digits - offset < 9 && isDigit(line.charCodeAt(digits))) digits++;
    const delimiter = line.charCodeAt(digits);
    if (digits > offset && (delimiter === 0x2e || delimiter === 0x29)) end = digits + 1;
  }
  if (end === -1) return -1;
  const after = line.charCodeAt(end);
  return Number.isNaN(after) || after === SPACE || after === TAB || after === 0x0d ? end : -1;
}

/** Where an item's text starts, relative to its marker; CommonMark treats 5+ spaces as 1 plus indented code. */
function contentColumn(line: string, offset: number, markerEnd: number): number {
  const spaces = runLength(line, markerEnd, SPACE);
  return markerEnd - offset + (spaces >= 1 && spaces <= 4 ? spaces : 1);
}

/* ---------- inline: URLs in one run of text ---------- */

function scanInline(text: string, markdown: boolean, found: string[]): void {
  let backticks: BacktickRuns | null = null;
  let commentCloserLeft = true;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (markdown && c === 0x5c) {
      i += isAsciiPunctuation(text.charCodeAt(i + 1)) ? 2 : 1;
      continue;
    }
    if (markdown && c === BACKTICK) {
      const openerEnd = i + runLength(text, i, BACKTICK);
      backticks ??= new BacktickRuns(text);
      const closerEnd = backticks.closerEnd(openerEnd, openerEnd - i);
      i = closerEnd === -1 ? openerEnd : closerEnd;
      continue;
    }
    if (c === 0x3c && text.startsWith("<!--", i)) {
      // Once no "-->" is left, later "<!--" stay literal text without searching again.
      const close = commentCloserLeft ? text.indexOf("-->", i + 4) : -1;
      if (close === -1) commentCloserLeft = false;
      i = close === -1 ? i + 4 : close + 3;
      continue;
    }
    if ((c === 0x68 || c === 0x48) && !isAsciiLetter(text.charCodeAt(i - 1))) {
      const scheme = schemeLength(text, i);
      if (scheme > 0) {
        const end = urlEnd(text, i + scheme);
        if (end > i + scheme) {
          found.push(text.slice(i, end));
          i = end;
          continue;
        }
      }
    }
    i++;
  }
}

/**
 * Closing runs for inline code: a run of N backticks closes at the next run of exactly N. Runs are indexed once per
 * text and each length keeps a cursor that only moves forward, so a body of backticks stays linear.
 */
class BacktickRuns {
  private readonly startsByLength = new Map<number, number[]>();
  private readonly cursors = new Map<number, number>();

  constructor(text: string) {
    for (let i = text.indexOf("`"); i !== -1;) {
      const length = runLength(text, i, BACKTICK);
      const starts = this.startsByLength.get(length);
      if (starts === undefined) this.startsByLength.set(length, [i]);
      else starts.push(i);
      i = text.indexOf("`", i + length);
    }
  }

  /** End of the first run of exactly `length` backticks starting at or after `from`, or -1 when there is none. */
  closerEnd(from: number, length: number): number {
    const starts = this.startsByLength.get(length);
    if (starts === undefined) return -1;
    let cursor = this.cursors.get(length) ?? 0;
    while (cursor < starts.length && (starts[cursor] ?? 0) < from) cursor++;
    this.cursors.set(length, cursor);
    const start = starts[cursor];
    return start === undefined ? -1 : start + length;
  }
}

function schemeLength(text: string, at: number): number {
  for (const scheme of ["https://", "http://"]) {
    if (text.length - at >= scheme.length && text.slice(at, at + scheme.length).toLowerCase() === scheme) {
      return scheme.length;
    }
  }
  return 0;
}

/**
 * Where a URL ends, the way GitHub's autolinker decides it: at whitespace or a character a URL cannot hold, then
 * without trailing punctuation, emphasis markers, quotes, an HTML entity, or a ")" that closes nothing inside it.
 */
function urlEnd(text: string, afterScheme: number): number {
  let end = afterScheme;
  let opened = 0;
  let closed = 0;
  for (; end < text.length; end++) {
    const c = text.charCodeAt(end);
    if (endsUrl(c)) break;
    if (c === 0x28) opened++;
    else if (c === 0x29) closed++;
  }
  while (end > afterScheme) {
    const last = text.charCodeAt(end - 1);
    if (TRAILING.has(last)) end--;
    else if (last === 0x29 && closed > opened) {
      end--;
      closed--;
    } else if (last === 0x3b) {
      end--;
      let name = end;
      while (name > afterScheme && isAsciiAlphanumeric(text.charCodeAt(name - 1))) name--;
      if (name < end && text.charCodeAt(name - 1) === 0x26) end = name - 1;
    } else break;
  }
  return end;
}

const TRAILING = codes("?!.,:*_~'\"");
const NEVER_IN_URL = codes('"<>[\\]^`{|}');

function codes(characters: string): ReadonlySet<number> {
  return new Set([...characters].map((character) => character.charCodeAt(0)));
}

function endsUrl(c: number): boolean {
  if (c <= 0x20 || c === 0x7f) return true;
  if (c < 0x80) return NEVER_IN_URL.has(c);
  // Unicode spaces, typographic quotes and ellipsis, CJK and full-width punctuation: text around a URL, never in it.
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200b) ||
    (c >= 0x2018 && c <= 0x201f) ||
    c === 0x2026 ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    (c >= 0x3000 && c <= 0x303f) ||
    (c >= 0xff01 && c <= 0xff5e) ||
    c === 0xfeff
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAsciiAlphanumeric(c: number): boolean {
  return isDigit(c) || isAsciiLetter(c);
}

function isAsciiPunctuation(c: number): boolean {
  return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}
