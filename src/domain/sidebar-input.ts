import { recogniseIssueUrls } from "./recognise-issue-urls.js";

/** An issue a rep named in the sidebar: owner and repo lower-cased, as closeloop looks repositories up. */
export interface NamedIssue {
  owner: string;
  repo: string;
  number: number;
}

const SHORT_REF = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\/([A-Za-z0-9_.-]+)#([1-9]\d{0,9})$/;
const LARGEST_ISSUE_NUMBER = 2_147_483_647;

/**
 * What a rep pasted into the link form: an issue URL on closeloop's GitHub host, or `owner/repo#123`. An error says
 * what was wrong with it, for the panel to show.
 */
export function readNamedIssue(text: string, githubHost: string): NamedIssue | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { problem: "paste an issue URL, or pick an issue from the search" };
  if (trimmed.length > 500) return { problem: "that is too long to be an issue URL" };
  const short = SHORT_REF.exec(trimmed);
  if (short) {
    const number = Number(short[3]);
    if (number > LARGEST_ISSUE_NUMBER) return { problem: `no issue has the number ${short[3]}` };
    return { owner: short[1]!.toLowerCase(), repo: short[2]!.toLowerCase(), number };
  }
  const [found, ...more] = recogniseIssueUrls(trimmed, githubHost);
  if (!found) {
    const host = hostOf(trimmed);
    if (host !== null && host !== githubHost.toLowerCase())
      return { problem: `that URL is on ${host}, not on closeloop's GitHub (${githubHost})` };
    return /\/pull\/\d/.test(trimmed)
      ? { problem: "that is a pull request, not an issue" }
      : { problem: `expected https://${githubHost}/<owner>/<repo>/issues/<number> or <owner>/<repo>#<number>` };
  }
  if (more.length > 0) return { problem: "paste one issue URL at a time" };
  return { owner: found.owner, repo: found.repo, number: found.number };
}

/** The host of a single http(s) URL, lower-cased; null for anything else. */
function hostOf(text: string): string | null {
  if (!/^https?:\/\/\S+$/i.test(text)) return null;
  try {
    return new URL(text).host.toLowerCase();
  } catch {
    return null;
  }
}

/** The words of a title search, at most 8, each at least 2 characters; fewer means no search yet. */
export function searchWords(query: string): string[] {
  return query
    .trim()
    .slice(0, 200)
    .split(/\s+/)
    .filter((word) => word.length >= 2)
    .slice(0, 8);
}

/** CLOSELOOP_SIDEBAR_REPOSITORIES: where reps may create issues. */
export type SidebarRepositories = { every: true } | { every: false; names: string[] };

/** Reads CLOSELOOP_SIDEBAR_REPOSITORIES (`owner/repo` comma-separated, or `*`); null when unset (no create form). */
export function readSidebarRepositories(value: string | undefined): SidebarRepositories | null | { problem: string } {
  if (value === undefined || value.trim() === "") return null;
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.includes("*")) {
    return entries.length === 1 ? { every: true } : { problem: '"*" stands alone: every repository the app is on' };
  }
  const wrong = entries.find((entry) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+$/.test(entry));
  if (wrong !== undefined) return { problem: `"${wrong}" is not owner/repo` };
  return { every: false, names: [...new Set(entries.map((entry) => entry.toLowerCase()))] };
}

/** Whether `owner/repo` (any case) is one reps may create issues in. */
export function mayCreateIn(allowed: SidebarRepositories | null, fullName: string): boolean {
  if (allowed === null) return false;
  return allowed.every || allowed.names.includes(fullName.toLowerCase());
}

/**
 * The body of an issue created from the sidebar: what the rep wrote, then where it came from. The conversation's URL
 * is what links it back (closeloop links it at once, and anyone reading the issue can open it); no customer name.
 */
export function createdIssueBody(input: {
  body: string;
  conversationUrl: string;
  helpdesk: string;
  rep: string;
}): string {
  const written = input.body.trim();
  const footer = `Conversation: ${input.conversationUrl}\n\nReported via ${input.helpdesk} by ${input.rep}`;
  return written === "" ? footer : `${written}\n\n---\n${footer}`;
}
