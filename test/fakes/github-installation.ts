import type { ServerResponse } from "node:http";

const DAY = 86_400_000;
/** closeloop reads issues closed this far back (src/store/backfills.ts, BACKFILL_CLOSED_DAYS) */
const CLOSED_DAYS = 90;

export interface GeneratedInstallationOptions {
  installationId: number;
  owner: string;
  repositories: number;
  /** issues and pull requests per repository (every tenth is a pull request, as GitHub's issue listing mixes them) */
  issuesPerRepository: number;
  commentsPerRepository: number;
  /** the first repository's id; the others follow */
  firstRepositoryId?: number;
  now?: Date;
}

interface GeneratedIssue {
  number: number;
  pullRequest: boolean;
  state: "open" | "closed";
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  /** the first of its comments in the repository's comment order, and how many */
  firstComment: number;
  comments: number;
}

/** What a backfill of the whole installation must end with, counted from the generated data. */
export interface InstallationTotals {
  /** issues read: open ones and those closed in the last 90 days, pull requests left out */
  issues: number;
  /** comments on those issues */
  comments: number;
  /** distinct conversations their bodies and comments link */
  links: number;
}

/** The fewest GitHub calls a backfill of the installation can make, by kind (listings of 100 a page). */
export interface MinimumCalls {
  issuePages: number;
  commentPages: number;
  /** `.github/closeloop.yml`: each repository's own (absent), and the owner's `.github` repository's once */
  configReads: number;
}

/**
 * An installation of many repositories with years of history, generated (nothing per comment is stored, so a million
 * comments cost no memory) and served as GitHub's listings: `GET /repos/{owner}/{repo}/issues` (state, since, oldest
 * first, pages with a `Link` header) and `GET /repos/{owner}/{repo}/issues/comments` (since, oldest first). Issues are
 * spread over the last 400 days; a third of those older than 120 days were closed long ago, a quarter of the rest were
 * closed 5 days ago; each issue's comments follow its creation within its share of the time to the next issue. Every
 * other issue body links a Zendesk ticket, every tenth comment an Intercom conversation.
 */
export class GeneratedInstallation {
  readonly installationId: number;
  readonly owner: string;
  readonly repositories: { id: number; name: string; full_name: string }[];
  readonly #options: Required<Omit<GeneratedInstallationOptions, "now">> & { now: number };
  /** one repository's issues: every repository has the same shape, told apart by ids and conversation numbers */
  readonly #issues: GeneratedIssue[];

  constructor(options: GeneratedInstallationOptions) {
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000;
    this.#options = { firstRepositoryId: 7_000_000, ...options, now };
    this.installationId = options.installationId;
    this.owner = options.owner;
    this.repositories = Array.from({ length: options.repositories }, (_, r) => ({
      id: this.#options.firstRepositoryId + r,
      name: `repo-${r}`,
      full_name: `${options.owner}/repo-${r}`,
    }));
    const count = options.issuesPerRepository;
    const spacing = (380 * DAY) / count;
    this.#issues = Array.from({ length: count }, (_, index) => {
      const number = index + 1;
      const createdAt = Math.floor(now - 400 * DAY + index * spacing);
      const oldClosed = number % 3 === 0 && createdAt < now - 120 * DAY;
      const recentlyClosed = !oldClosed && number % 4 === 0;
      const closedAt = oldClosed ? createdAt + DAY : recentlyClosed ? now - 5 * DAY : null;
      const firstComment = Math.floor((index * options.commentsPerRepository) / count);
      return {
        number,
        pullRequest: number % 10 === 5,
        state: closedAt === null ? "open" : "closed",
        createdAt,
        updatedAt: closedAt ?? createdAt + DAY,
        closedAt,
        firstComment,
        comments: Math.floor(((index + 1) * options.commentsPerRepository) / count) - firstComment,
      };
    });
  }

  get issueCount(): number {
    return this.#options.repositories * this.#options.issuesPerRepository;
  }

  get commentCount(): number {
    return this.#options.repositories * this.#options.commentsPerRepository;
  }

  /** What a backfill of every repository must store: the same for each repository. */
  totals(): InstallationTotals {
    const read = this.#issues.filter((issue) => this.#read(issue));
    const comments = read.reduce((sum, issue) => sum + issue.comments, 0);
    const commentLinks = read.reduce((sum, issue) => sum + this.#linkingComments(issue), 0);
    const bodyLinks = read.filter((issue) => issue.number % 2 === 1).length;
    const r = this.#options.repositories;
    return { issues: read.length * r, comments: comments * r, links: (bodyLinks + commentLinks) * r };
  }

  /** The fewest calls for listings of `perPage`: issue pages (open, then closed since), comment pages from `since`. */
  minimumCalls(perPage = 100): MinimumCalls {
    const pages = (n: number) => Math.max(1, Math.ceil(n / perPage));
    const open = this.#issues.filter((issue) => issue.state === "open").length;
    const closedSince = this.#options.now - CLOSED_DAYS * DAY;
    const closed = this.#issues.filter((issue) => issue.state === "closed" && issue.updatedAt >= closedSince).length;
    const since = this.#commentsSince();
    const comments = since === null ? 0 : this.#commentTimes().filter((at) => at >= since).length;
    const r = this.#options.repositories;
    return {
      issuePages: (pages(open) + pages(closed)) * r,
      commentPages: (comments === 0 ? 0 : Math.ceil(comments / perPage)) * r,
      configReads: r + 1,
    };
  }

  /** Answers the request when it is one of the installation's listings; false otherwise. */
  answer(method: string, path: string, baseUrl: string, response: ServerResponse): boolean {
    if (method !== "GET") return false;
    const url = new URL(path, "http://fake");
    const listing = /^\/repos\/([^/]+)\/repo-(\d+)\/issues(\/comments)?$/.exec(url.pathname);
    if (!listing || listing[1] !== this.owner || Number(listing[2]) >= this.#options.repositories) return false;
    const r = Number(listing[2]);
    const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? 30));
    const page = Number(url.searchParams.get("page") ?? 1);
    const since = url.searchParams.has("since") ? Date.parse(url.searchParams.get("since")!) : -Infinity;
    const items = listing[3] ? this.#comments(r, since) : this.#listIssues(r, url.searchParams.get("state"), since);
    const from = (page - 1) * perPage;
    const slice = items.slice(from, from + perPage);
    const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
    if (from + perPage < items.length) {
      const next = new URL(url.pathname + url.search, baseUrl);
      next.searchParams.set("page", String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    const repository = this.repositories[r]!;
    const body = listing[3]
      ? slice.map((index) => this.#comment(r, index as number, baseUrl))
      : slice.map((issue) => this.#issue(repository, r, issue as GeneratedIssue));
    response.writeHead(200, headers).end(JSON.stringify(body));
    return true;
  }

  #read(issue: GeneratedIssue): boolean {
    if (issue.pullRequest) return false;
    return issue.closedAt === null || issue.closedAt >= this.#options.now - CLOSED_DAYS * DAY;
  }

  #linkingComments(issue: GeneratedIssue): number {
    let n = 0;
    for (let index = issue.firstComment; index < issue.firstComment + issue.comments; index++)
      if (index % 10 === 0) n++;
    return n;
  }

  /** The creation of the oldest issue read that has comments: no comment the backfill needs is older. */
  #commentsSince(): number | null {
    const first = this.#issues.find((issue) => this.#read(issue) && issue.comments > 0);
    return first === undefined ? null : first.createdAt;
  }

  #issueOfComment(index: number): GeneratedIssue {
    const count = this.#issues.length;
    let number = Math.floor((index * count) / this.#options.commentsPerRepository);
    while (number > 0 && this.#issues[number]!.firstComment > index) number--;
    while (number + 1 < count && this.#issues[number + 1]!.firstComment <= index) number++;
    return this.#issues[number]!;
  }

  #commentTime(index: number): number {
    const issue = this.#issueOfComment(index);
    const spacing = (380 * DAY) / this.#issues.length;
    return Math.floor(issue.createdAt + ((index - issue.firstComment + 1) * spacing) / (issue.comments + 1));
  }

  #commentTimes(): number[] {
    return Array.from({ length: this.#options.commentsPerRepository }, (_, index) => this.#commentTime(index));
  }

  #listIssues(_r: number, state: string | null, since: number): GeneratedIssue[] {
    return this.#issues.filter(
      (issue) => (state === "all" || issue.state === (state ?? "open")) && issue.updatedAt >= since,
    );
  }

  /** Comment indexes updated at or after `since`, oldest first (a comment's update is its creation here). */
  #comments(_r: number, since: number): number[] {
    let low = 0;
    let high = this.#options.commentsPerRepository;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.#commentTime(middle) < since) low = middle + 1;
      else high = middle;
    }
    return Array.from({ length: this.#options.commentsPerRepository - low }, (_, i) => low + i);
  }

  #issue(repository: { name: string }, r: number, issue: GeneratedIssue): Record<string, unknown> {
    return {
      id: (this.#options.firstRepositoryId + r) * 1_000_000 + issue.number,
      node_id: `I_${repository.name}_${issue.number}`,
      number: issue.number,
      title: `Issue ${issue.number}`,
      state: issue.state,
      user: { login: "dev", type: "User" },
      author_association: "MEMBER",
      body:
        issue.number % 2 === 1
          ? `Reported in https://acme.zendesk.com/agent/tickets/${r * 1_000_000 + issue.number}`
          : "No customer link here.",
      comments: issue.comments,
      created_at: new Date(issue.createdAt).toISOString(),
      updated_at: new Date(issue.updatedAt).toISOString(),
      closed_at: issue.closedAt === null ? null : new Date(issue.closedAt).toISOString(),
      ...(issue.pullRequest && { pull_request: { url: "pull" } }),
    };
  }

  #comment(r: number, index: number, baseUrl: string): Record<string, unknown> {
    const issue = this.#issueOfComment(index);
    const at = new Date(this.#commentTime(index)).toISOString();
    return {
      id: (this.#options.firstRepositoryId + r) * 10_000_000 + index + 1,
      issue_url: `${baseUrl}/repos/${this.owner}/repo-${r}/issues/${issue.number}`,
      user: { login: "dev", type: "User" },
      author_association: "MEMBER",
      body:
        index % 10 === 0
          ? `Customer: https://app.intercom.com/a/inbox/abc123/inbox/conversation/${r * 10_000_000 + index + 1}`
          : "Looking into it.",
      created_at: at,
      updated_at: at,
      performed_via_github_app: null,
    };
  }
}
