import type { Logger, Probot } from "probot";
import { installationConfigReader } from "../github/installation-config.js";
import type { GithubMemory } from "../github/memory.js";
import type { RepoConfigCache } from "../github/repo-config-cache.js";
import type { RepoConfig } from "../config/repo-config.js";
import type { SourceKind, UrlMatcher } from "../domain/link.js";
import { recogniseLinks } from "../domain/recognise-links.js";
import {
  advanceBackfill,
  forgetBackfillIssues,
  oldestBackfillIssue,
  readBackfillIssues,
  type BackfillCounts,
  type BackfillCursor,
  type BackfillIssue,
  type ClaimedBackfill,
} from "../store/backfills.js";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import type { RepositoryRows } from "../store/repositories.js";
import { splitListedPage, storeListedPage, type ListedPage, type ListedText } from "../handlers/listed-pages.js";
import type { IssueRef } from "../domain/refs.js";
import { issueRef } from "../github/issues.js";
import { commentIssueNumber, listIssuesPage, listRepositoryCommentsPage } from "../github/issue-listings.js";
import { textAuthor, trustAuthor, type AuthoredText } from "../domain/trust.js";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

export interface BackfillDeps {
  prisma: Prisma;
  /** the database's repository rows known committed (`Database.repositoryRows`) */
  repositoryRows: RepositoryRows;
  engine: Engine;
  /** an installation's Octokit (Probot's app.auth): its throttling plugin waits out GitHub's primary and secondary limits */
  github: (installationId: number) => Promise<Octokit>;
  configs: RepoConfigCache;
  /** the app's memory of GitHub, shared with the label writers */
  memory: GithubMemory;
  matchers: readonly UrlMatcher[];
  /** this app's id: its own comments are not read, as for webhooks */
  appId: number;
  log: Logger;
  dryRun?: boolean;
  /** issues and comments per page: GitHub's maximum, 100, unless a test pages smaller */
  perPage?: number;
}

export interface BackfillProgress extends BackfillCursor {
  counts: BackfillCounts;
  /** the installation's GitHub budget is down to the webhook path's reserve: no call before then (its reset) */
  waitingUntil?: Date;
}

/** Not retried: GitHub says the app cannot read the repository (gone, or no longer in the installation). */
export class BackfillForbiddenError extends Error {
  override name = "BackfillForbiddenError";
}

/** The run stalled past its lease and another process took the backfill over: this one stops, writing nothing more. */
export class BackfillLeaseLost extends Error {
  override name = "BackfillLeaseLost";
}

/**
 * Reads a repository's open issues, then those closed since `closedSince`, then the repository's comments, and stores
 * the links they carry as the webhook handlers would (dated by each body's or comment's own creation time, so reports
 * count in the right windows). Listings only, a page at a time, oldest first: no call per issue, so a repository costs
 * its pages of issues and of comments. The issues listed with comments are kept in the database for the comments
 * phase (`keepBackfillIssues`), which reads only comments updated since the oldest of them was created. The cursor
 * moves after each stored page, so a crash resumes at that page, and redoing a page changes nothing. Open issues that
 * gained links have their labels marked wanted as the page is stored (`applyLabels`). `stopping` is asked between pages: a
 * process shutting down leaves at a page boundary.
 */
export async function runBackfill(
  deps: BackfillDeps,
  claimed: ClaimedBackfill,
  options: {
    onProgress?: (progress: BackfillProgress) => void;
    stopping?: () => boolean;
    /**
     * stores a page's cursor and counts under the lease (the worker's holder); false when the lease was lost. With
     * `githubWaitUntil`, the backfill waits for GitHub's rate limit until then (recorded for `closeloop status`).
     */
    advance?: Advance;
    /**
     * waited for before each page is read: the worker holds the backfill back while webhooks arrive in a burst, so
     * the requests get the CPU and the database first (#25, P1 while a backfill runs)
     */
    beforePage?: () => Promise<void>;
    /**
     * waited for again before each part of a page's store and before its cursor's write: a burst that began while
     * GitHub answered, or while a part was written, does not have the rest of the page's writes (the costly part) run
     * beside it
     */
    beforeStore?: () => Promise<void>;
    /**
     * applies the labels (and project field) of a page's open issues that gained links, once the page is stored, under
     * the markings job's lease (`closeloop backfill`, which may run beside a server). Without it (the server) the
     * markings job applies them: the page's transaction marked them wanted.
     */
    applyLabels?: (gained: IssueRef[]) => Promise<unknown>;
  } = {},
): Promise<BackfillCounts & { finished: boolean }> {
  const advance =
    options.advance ??
    ((next, added, githubWaitUntil) =>
      advanceBackfill(deps.prisma, claimed, next, added, new Date(), githubWaitUntil ?? null));
  const { repository } = claimed;
  const where = `${repository.owner}/${repository.name}`;
  const octokit = await deps.github(Number(repository.installationId));
  deps.memory.budgets.observe(Number(repository.installationId), octokit);
  const counts = { ...claimed.counts };
  const paced = (cursor: BackfillCursor) =>
    waitForGithub(deps, claimed, { ...options, advance, cursor, counts: () => ({ ...counts }) });
  if (!(await paced(claimed))) return { ...counts, finished: false };
  // The owner's `.github` file, which the repositories without their own fall back to, is read once for all of them.
  const config = await deps.configs.get(
    repository,
    installationConfigReader(octokit, repository.owner, repository.name, (file, read) =>
      deps.configs.ownerFile(repository.owner, file, read),
    ),
  );
  const run: Run = {
    deps,
    claimed,
    octokit,
    config,
    where,
    perPage: deps.perPage ?? 100,
    beforeStore: options.beforeStore ?? (async () => {}),
    paced,
  };
  let cursor: BackfillCursor | null = { phase: claimed.phase, page: claimed.page };
  while (cursor !== null) {
    const { phase, page }: BackfillCursor = cursor;
    await options.beforePage?.();
    const read: PageRead | null =
      phase === "comments" ? await readComments(run, page) : await readIssues(run, phase, page);
    // The process stopped while the page waited for GitHub's rate limit: nothing was read.
    if (read === null) return { ...counts, finished: false };
    const { added, gained, more }: PageRead = read;
    if (gained.length > 0) await options.applyLabels?.(gained);
    const next: BackfillCursor | null = more
      ? { phase, page: page + 1 }
      : phase === "open"
        ? { phase: "closed", page: 1 }
        : phase === "closed"
          ? { phase: "comments", page: 1 }
          : null;
    // The cursor's write waits too: it is the page's last write, and a page with nothing to store has no other.
    await run.beforeStore();
    if (!(await advance(next, added)))
      throw new BackfillLeaseLost(`backfill ${where}: another process took it over (this one's lease ran out)`);
    counts.issues += added.issues;
    counts.comments += added.comments;
    counts.links += added.links;
    deps.log.debug(
      `backfill ${where}: ${describeCursor({ phase, page })}: ${added.issues} issues, ${added.comments} comments, ${added.links} links`,
    );
    cursor = next;
    options.onProgress?.({ phase: next?.phase ?? phase, page: next?.page ?? page, counts: { ...counts } });
    if (cursor !== null && options.stopping?.()) return { ...counts, finished: false };
  }
  await forgetBackfillIssues(deps.prisma, repository.id);
  deps.log.info(
    `backfill ${where}: done; ${counts.issues} issues and ${counts.comments} comments read, ${counts.links} links found`,
  );
  return { ...counts, finished: true };
}

/** No count grows while a wait renews the lease by recording the page it is on again. */
const NOTHING_ADDED: BackfillCounts = { issues: 0, comments: 0, links: 0 };
/** How often a wait looks whether the process is stopping. */
const STOP_LOOK_MS = 200;

/**
 * Waits until the installation's GitHub budget lets the backfill's next call go (GitHub's reset, when the last answer
 * left only the webhook path's reserve: InstallationBudgets), so no call of it is refused for the rate limit. On
 * GitHub the wait may last up to an hour: the lease is renewed every third of it meanwhile, by recording the page the
 * backfill is on again, so no other process takes the backfill over half-way; `stopping` ends the wait within a fifth
 * of a second. False when it did: nothing was read, and the backfill is handed back at its page.
 */
async function waitForGithub(
  deps: BackfillDeps,
  claimed: ClaimedBackfill,
  wait: {
    cursor: BackfillCursor;
    counts: () => BackfillCounts;
    advance: Advance;
    onProgress?: (progress: BackfillProgress) => void;
    stopping?: () => boolean;
  },
): Promise<boolean> {
  const installationId = Number(claimed.repository.installationId);
  const until = deps.memory.budgets.backfillCallAt(installationId);
  if (until <= Date.now()) return true;
  const where = `${claimed.repository.owner}/${claimed.repository.name}`;
  const cursor = { phase: wait.cursor.phase, page: wait.cursor.page };
  deps.log.info(
    `backfill ${where}: installation ${installationId}'s GitHub rate limit is down to the webhooks' reserve; next call after its reset, ${new Date(until).toISOString()}`,
  );
  wait.onProgress?.({ ...cursor, counts: wait.counts(), waitingUntil: new Date(until) });
  const renewEveryMs = claimed.lease.leaseMs / 3;
  // The first renewal at once: it records until when the backfill waits, for `closeloop status`.
  let renewed = -Infinity;
  for (let now = Date.now(); now < until; now = Date.now()) {
    if (wait.stopping?.()) return false;
    if (now - renewed >= renewEveryMs) {
      if (!(await wait.advance(cursor, NOTHING_ADDED, new Date(until))))
        throw new BackfillLeaseLost(
          `backfill ${where}: another process took it over while it waited for GitHub's limit`,
        );
      renewed = now;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(until - now, STOP_LOOK_MS)));
  }
  return !wait.stopping?.();
}

/** Where a backfill is, in words: "open issues, page 3", "comments, page 2". */
export function describeCursor({ phase, page }: BackfillCursor): string {
  return `${phase === "comments" ? "comments" : `${phase} issues`}, page ${page}`;
}

type Advance = (next: BackfillCursor | null, added: BackfillCounts, githubWaitUntil?: Date) => Promise<boolean>;

interface Run {
  beforeStore: () => Promise<void>;
  /** waits, before a listing's call, until GitHub's rate limit lets it go (waitForGithub); false when stopping */
  paced: (cursor: BackfillCursor) => Promise<boolean>;
  deps: BackfillDeps;
  claimed: ClaimedBackfill;
  octokit: Octokit;
  config: RepoConfig;
  where: string;
  perPage: number;
}

interface PageRead {
  added: BackfillCounts;
  /** open issues that gained links: their labels are brought up to date */
  gained: IssueRef[];
  /** GitHub has a next page of this listing */
  more: boolean;
}

/** One page of open or closed issues: their bodies' links; those with comments are kept for the comments phase. */
async function readIssues(run: Run, phase: "open" | "closed", page: number): Promise<PageRead | null> {
  const { deps, claimed, octokit, config, where } = run;
  const { repository } = claimed;
  if (!(await run.paced({ phase, page }))) return null;
  const listed = await listIssuesPage(octokit, repository, {
    state: phase,
    number: page,
    perPage: run.perPage,
    ...(phase === "closed" ? { since: claimed.closedSince } : {}),
  });
  if ("refused" in listed)
    throw new BackfillForbiddenError(`GitHub does not let closeloop read ${where}'s issues (${listed.refused})`);
  const read: IssueRef[] = [];
  const texts: ListedText[] = [];
  const kept: BackfillIssue[] = [];
  for (const issue of listed.issues) {
    if (issue.pull_request) continue;
    if (phase === "closed" && (issue.closed_at === null || new Date(issue.closed_at) < claimed.closedSince)) continue;
    const ref = issueRef(repository, issue);
    read.push(ref);
    if (trusted(deps, config, `${where}#${issue.number} body`, issue)) {
      const text = listedText(deps, config, ref, { kind: "body", key: "" }, issue);
      if (text !== null) texts.push(text);
    }
    if (issue.comments > 0) {
      kept.push({
        number: issue.number,
        githubId: ref.githubId,
        nodeId: ref.nodeId ?? null,
        state: ref.state,
        title: issue.title,
        openedAt: new Date(issue.created_at),
        titleAt: new Date(issue.updated_at),
      });
    }
  }
  const stored = await storeInParts(run, {
    repository,
    listed: read,
    texts,
    kept,
    maxLinks: config.links.max_per_issue,
  });
  return {
    added: { issues: read.length, comments: 0, links: stored.added },
    gained: stored.linked,
    more: listed.next,
  };
}

/**
 * One page of the repository's comments: those on the issues kept for this phase are read, the rest (pull requests,
 * issues closed too long ago, issues listed without comments) skipped. None is read when no issue was kept (nor is
 * GitHub's rate limit waited for). Null when the process stopped while the page waited for it.
 */
async function readComments(run: Run, page: number): Promise<PageRead | null> {
  const { deps, claimed, octokit, config, where } = run;
  const { repository } = claimed;
  const added = { issues: 0, comments: 0, links: 0 };
  // A comment is never older than its issue, so older comments are on issues the backfill does not read.
  const since = await oldestBackfillIssue(deps.prisma, repository.id);
  if (since === null) return { added, gained: [], more: false };
  if (!(await run.paced({ phase: "comments", page }))) return null;
  const listed = await listRepositoryCommentsPage(octokit, repository, { number: page, perPage: run.perPage, since });
  if ("refused" in listed)
    throw new BackfillForbiddenError(`GitHub does not let closeloop read ${where}'s comments (${listed.refused})`);
  const numbers = listed.comments.map((comment) => commentIssueNumber(comment.issue_url));
  const kept = await readBackfillIssues(
    deps.prisma,
    repository.id,
    numbers.filter((number) => number !== null),
  );
  const texts: ListedText[] = [];
  for (const [index, comment] of listed.comments.entries()) {
    const issue = kept.get(numbers[index] ?? -1);
    if (issue === undefined) continue;
    if (comment.performed_via_github_app?.id === deps.appId) continue;
    added.comments++;
    if (!trusted(deps, config, `${where}#${issue.number} comment ${comment.id}`, comment)) continue;
    const ref: IssueRef = {
      repository,
      number: issue.number,
      githubId: issue.githubId,
      ...(issue.nodeId !== null && { nodeId: issue.nodeId }),
      state: issue.state,
      details: { title: issue.title, openedAt: issue.openedAt, at: issue.titleAt },
    };
    const text = listedText(deps, config, ref, { kind: "comment", key: String(comment.id) }, comment);
    if (text !== null) texts.push(text);
  }
  const stored = await storeInParts(run, {
    repository,
    listed: [],
    texts,
    kept: [],
    maxLinks: config.links.max_per_issue,
  });
  added.links = stored.added;
  return { added, gained: stored.linked, more: listed.next };
}

/**
 * The most issues and texts a page's store writes in one transaction: a burst that begins during the store waits for
 * one such part (about a quarter of a 100-comment page's time), not the whole page.
 */
const STORE_PART_SIZE = 25;

/** Stores a page in parts (`splitListedPage`), each after the hold-back (`beforeStore`). */
async function storeInParts(run: Run, page: ListedPage): Promise<{ added: number; linked: IssueRef[] }> {
  const stored = { added: 0, linked: [] as IssueRef[] };
  for (const part of splitListedPage(page, STORE_PART_SIZE)) {
    await run.beforeStore();
    const { added, linked } = await storeListedPage(run.deps, part);
    stored.added += added;
    stored.linked.push(...linked);
  }
  return stored;
}

/** `links.from` and `links.apps`, as for webhooks: an untrusted author's text is not read (logged at debug). */
function trusted(deps: BackfillDeps, config: RepoConfig, where: string, text: AuthoredText): boolean {
  const trust = trustAuthor(textAuthor(text), config.links);
  if (!trust.trusted) deps.log.debug(`backfill ${where}: not read for links: ${trust.reason}`);
  return trust.trusted;
}

/**
 * One body or comment with the links it carries; null when it carries none. Every link in it counts as posted when
 * the text was created: a backfill cannot know when an edit added one, and the creation time is what the text shows
 * (README, Existing issues).
 */
function listedText(
  deps: BackfillDeps,
  config: RepoConfig,
  issue: IssueRef,
  source: { kind: SourceKind; key: string },
  text: { body?: string | null | undefined; created_at: string; updated_at: string },
): ListedText | null {
  const { links } = recogniseLinks(text.body ?? "", deps.matchers, { max: config.links.max_per_source });
  if (links.length === 0) return null;
  return { issue, source, links, createdAt: new Date(text.created_at), updatedAt: new Date(text.updated_at) };
}
