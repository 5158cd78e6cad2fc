import { findUrls } from "./markdown-scanner.js";

/** A GitHub issue named by URL. `owner` and `repo` are lower-cased (GitHub matches them case-insensitively);
 *  `url` keeps them as written, for display, without query or fragment. */
export interface IssueReference {
  owner: string;
  repo: string;
  number: number;
  url: string;
}

/*
 * Helpdesk messages are plain text or HTML, not markdown, so nothing in them is skipped as code or quote: a quoted
 * earlier message only repeats a reference, which deduplication absorbs.
 * Pull request URLs (/pull/<n>) are not issues and are not returned. An /issues/<n> URL can still name a pull request
 * (GitHub redirects it); only the API can tell, so callers check before linking.
 */
const OWNER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const REPO = /^[A-Za-z0-9_.-]+$/;
const LARGEST_ISSUE_NUMBER = 2_147_483_647;

/**
 * @param githubHost "github.com", or a GitHub Enterprise Server host (with ":port" when it serves on one); only URLs
 *   on exactly that host are taken.
 */
export function recogniseIssueUrls(text: string, githubHost: string): IssueReference[] {
  const host = githubHost.toLowerCase();
  if (host === "" || /[/\s@]/.test(host))
    throw new TypeError(`githubHost must be a bare host name, got "${githubHost}"`);
  const references: IssueReference[] = [];
  const seen = new Set<string>();
  for (const written of findUrls(text, "plain")) {
    const reference = readIssueUrl(written, host);
    if (reference === null) continue;
    const identity = `${reference.owner}/${reference.repo}#${reference.number}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    references.push(reference);
  }
  return references;
}

function readIssueUrl(written: string, host: string): IssueReference | null {
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return null;
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.host !== host) return null;
  if (url.username !== "" || url.password !== "") return null;
  const segments = url.pathname.split("/").slice(1);
  if (segments.at(-1) === "") segments.pop();
  const [owner, repo, kind, digits] = segments;
  if (segments.length !== 4 || kind !== "issues" || owner === undefined || repo === undefined) return null;
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === "." || repo === "..") return null;
  if (digits === undefined || !/^[0-9]{1,10}$/.test(digits)) return null;
  const number = Number(digits);
  if (number < 1 || number > LARGEST_ISSUE_NUMBER) return null;
  // github.com is served over https only; an Enterprise host may not be, so its scheme is kept as written.
  const scheme = host === "github.com" ? "https:" : url.protocol;
  return {
    owner: owner.toLowerCase(),
    repo: repo.toLowerCase(),
    number,
    url: `${scheme}//${url.host}/${owner}/${repo}/issues/${number}`,
  };
}
