import nock from "nock";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { DeliveryInbox } from "../../src/http/delivery-inbox.js";
import { BackfillWorker } from "../../src/jobs/backfill-worker.js";
import { runBackfill, type BackfillDeps } from "../../src/jobs/backfill.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import {
  advanceBackfill,
  backfillSummary,
  claimBackfill,
  readBackfill,
  requestBackfills,
} from "../../src/store/backfills.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { listIssueLinks } from "../../src/store/links.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { GITHUB_API, nockConfig, testProbot } from "../support/github.js";
import { GithubMemory } from "../../src/github/memory.js";
import { waitFor } from "../support/wait.js";

const REPOSITORY = { id: 1296269n, installationId: 77n, owner: "octo-org", name: "app" };
const APP_ID = 1;
const PER_PAGE = 2;
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

function issue(
  number: number,
  fields: {
    body?: string;
    comments?: number;
    state?: "open" | "closed";
    closedDaysAgo?: number;
    pullRequest?: boolean;
    association?: string;
  } = {},
) {
  return {
    id: 9000 + number,
    number,
    title: `Issue ${number}`,
    state: fields.state ?? "open",
    author_association: fields.association ?? "MEMBER",
    body: fields.body ?? null,
    comments: fields.comments ?? 0,
    created_at: "2026-01-10T10:00:00Z",
    updated_at: "2026-02-01T10:00:00Z",
    closed_at: fields.closedDaysAgo === undefined ? null : daysAgo(fields.closedDaysAgo),
    ...(fields.pullRequest ? { pull_request: { url: "x" } } : {}),
  };
}

/** GitHub's `Link` header when a listing has a page after `page`. */
const nextPage = (path: string, page: number) => ({
  link: `<${GITHUB_API}${path}?page=${page + 1}>; rel="next", <${GITHUB_API}${path}?page=${page + 9}>; rel="last"`,
});

/** GitHub's issue listing as closeloop asks for it: oldest first, a page at a time; `next` when a page follows. */
function nockIssues(
  state: "open" | "closed",
  page: number,
  reply: number | unknown[],
  next = false,
  headers: Record<string, string> = {},
) {
  const query: Record<string, string> = {
    state,
    sort: "created",
    direction: "asc",
    per_page: String(PER_PAGE),
    page: String(page),
  };
  const scope = nock(GITHUB_API)
    .get("/repos/octo-org/app/issues")
    .query(
      (actual) =>
        Object.entries(query).every(([key, value]) => actual[key] === value) &&
        (state === "open" ? actual.since === undefined : typeof actual.since === "string"),
    );
  if (typeof reply === "number") scope.reply(reply, { message: "Server Error" });
  else scope.reply(200, reply, { ...headers, ...(next ? nextPage("/repos/octo-org/app/issues", page) : {}) });
}

/** GitHub's rate-limit headers for a window of 10 calls (the webhooks' reserve is 1) that resets at `resetAt`. */
const budget = (remaining: number, resetAt: number) => ({
  "x-ratelimit-limit": "10",
  "x-ratelimit-remaining": String(remaining),
  "x-ratelimit-reset": String(resetAt / 1000),
  "x-ratelimit-resource": "core",
});

/** A whole second (GitHub's reset is in epoch seconds) at least `seconds` from now. */
const resetIn = (seconds: number) => (Math.ceil(Date.now() / 1000) + seconds) * 1000;

/**
 * The closed issues' first page as GitHub answers it under the rate limit: 403 "rate limit exceeded" before `resetAt`,
 * an empty page after it. `asked` gets the time of each call, `during` is run (and awaited) before the answer.
 */
function nockClosedAfterReset(resetAt: number, asked: number[], during: () => Promise<void> = async () => {}) {
  nock(GITHUB_API)
    .get("/repos/octo-org/app/issues")
    .query((query) => query.state === "closed")
    .reply((_uri, _body, callback) => {
      const at = Date.now();
      asked.push(at);
      during().then(
        () =>
          callback(
            null,
            at < resetAt
              ? [403, { message: "API rate limit exceeded for installation ID 77." }, budget(0, resetAt)]
              : [200, [], budget(9, resetAt + 10_000)],
          ),
        (error: Error) => callback(error, [500, {}]),
      );
    });
}

/** The repository's comments, oldest first, since the oldest issue kept for them was created. */
function nockComments(page: number, since: string, comments: unknown[], next = false) {
  nock(GITHUB_API)
    .get("/repos/octo-org/app/issues/comments")
    .query({ sort: "created", direction: "asc", per_page: String(PER_PAGE), page: String(page), since })
    .reply(200, comments, next ? nextPage("/repos/octo-org/app/issues/comments", page) : {});
}

/** A comment as the repository's listing shows it: its issue only by URL. */
const on = (number: number, comment: Record<string, unknown>) => ({
  ...comment,
  issue_url: `${GITHUB_API}/repos/octo-org/app/issues/${number}`,
});

describe.each(ENGINES)("backfill on %s", (engine) => {
  let database: Database;
  let deps: BackfillDeps;
  const log = pino({ level: "silent" });

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    const probot = testProbot();
    deps = {
      prisma: database.prisma,
      repositoryRows: database.repositoryRows,
      engine: database.engine,
      github: (id) => probot.auth(id),
      configs: new RepoConfigCache(database, log),
      memory: new GithubMemory(),
      matchers: urlMatchers,
      appId: APP_ID,
      log,
      perPage: PER_PAGE,
    };
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.prisma.repository.deleteMany();
    deps.configs = new RepoConfigCache(database, log);
    // What an earlier test's answers said of installation 77's budget is not this test's.
    deps.memory = new GithubMemory();
    await requestBackfills(database, [REPOSITORY], NOW);
  });

  const links = async (number: number) =>
    ((await listIssueLinks(database.prisma, "octo-org/app", number)) ?? []).map((link) => [
      link.provider,
      link.conversationId,
      link.source,
      link.linkedAt.toISOString(),
    ]);

  it("reads open issues, then issues closed in the last 90 days, then the repository's comments on them, and resumes at the page it crashed on", async () => {
    nockConfig("octo-org", "app", null);
    nockIssues(
      "open",
      1,
      [
        issue(1, { body: "Customer: https://acme.zendesk.com/agent/tickets/4242", comments: 2 }),
        issue(2, { pullRequest: true, body: "https://acme.zendesk.com/agent/tickets/1", comments: 1 }),
      ],
      true,
    );
    nockIssues("open", 2, 502);

    const first = (await claimBackfill(database.prisma, database.engine, { owner: "first", leaseMs: 60_000 }))!;
    expect(first).toMatchObject({ phase: "open", page: 1, attempts: 1 });
    await expect(runBackfill(deps, first)).rejects.toMatchObject({ status: 502 });
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({
      state: "running",
      phase: "open",
      page: 2,
      issues: 1,
      comments: 0,
      links: 1,
    });
    expect(await links(1)).toEqual([["zendesk", "4242", "body", "2026-01-10T10:00:00.000Z"]]);
    // Backfilled links are no news to the helpdesk: no note (README, Notes on new links).
    expect(await database.prisma.linkNote.count()).toBe(0);

    // The crashed process's lease runs out; another takes the backfill over at page 2 (page 1 is not read again).
    expect(await claimBackfill(database.prisma, database.engine, { owner: "second", leaseMs: 60_000 })).toBeNull();
    const resumed = (await claimBackfill(
      database.prisma,
      database.engine,
      { owner: "second", leaseMs: 60_000 },
      { now: new Date(Date.now() + 61_000) },
    ))!;
    expect(resumed).toMatchObject({
      phase: "open",
      page: 2,
      attempts: 2,
      counts: { issues: 1, comments: 0, links: 1 },
    });
    // The first process was only stalled: its late page is not recorded over the new holder's cursor.
    expect(
      await advanceBackfill(database.prisma, first, { phase: "closed", page: 9 }, { issues: 5, comments: 0, links: 0 }),
    ).toBe(false);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ phase: "open", page: 2, issues: 1 });
    nockIssues("open", 2, [issue(3, { body: "no links" })]);
    // A full last page: GitHub's Link header, not an empty page, says it is the last.
    nockIssues("closed", 1, [
      issue(4, {
        state: "closed",
        closedDaysAgo: 10,
        body: "https://secure.helpscout.net/conversation/123/45/",
        comments: 1,
      }),
      issue(5, { state: "closed", closedDaysAgo: 200, body: "https://acme.zendesk.com/agent/tickets/5", comments: 1 }),
    ]);
    // One listing of the repository's comments, from the oldest kept issue's creation: those on issues 1 and 4 are
    // read; the app's own, a pull request's and an issue closed too long ago are not.
    const since = "2026-01-10T10:00:00.000Z";
    nockComments(
      1,
      since,
      [
        on(1, {
          id: 501,
          author_association: "COLLABORATOR",
          body: "Another: https://app.intercom.com/a/inbox/k9x2mz4q/inbox/conversation/77",
          created_at: "2026-01-12T10:00:00Z",
          updated_at: "2026-01-12T10:00:00Z",
        }),
        on(1, {
          id: 502,
          body: "closeloop summary https://acme.zendesk.com/agent/tickets/9",
          created_at: "2026-01-13T10:00:00Z",
          updated_at: "2026-01-13T10:00:00Z",
          performed_via_github_app: { id: APP_ID },
        }),
      ],
      true,
    );
    nockComments(2, since, [
      on(2, { id: 503, author_association: "MEMBER", body: "https://acme.zendesk.com/agent/tickets/6" }),
      on(5, { id: 504, author_association: "MEMBER", body: "https://acme.zendesk.com/agent/tickets/7" }),
      on(4, {
        id: 505,
        author_association: "MEMBER",
        body: "Also https://acme.zendesk.com/agent/tickets/8",
        created_at: "2026-01-14T10:00:00Z",
        updated_at: "2026-01-14T10:00:00Z",
      }),
    ]);
    const outcome = await runBackfill(deps, resumed);
    expect(outcome).toEqual({ issues: 3, comments: 2, links: 4, finished: true });
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({
      state: "done",
      issues: 3,
      comments: 2,
      links: 4,
      lastError: null,
    });
    expect(await links(1)).toEqual([
      ["zendesk", "4242", "body", "2026-01-10T10:00:00.000Z"],
      ["intercom", "77", "comment", "2026-01-12T10:00:00.000Z"],
    ]);
    expect(await links(4)).toEqual([
      ["helpscout", "123", "body", "2026-01-10T10:00:00.000Z"],
      ["zendesk", "8", "comment", "2026-01-14T10:00:00.000Z"],
    ]);
    expect(await links(5)).toEqual([]);
    expect(await links(2)).toEqual([]);
    // The issues kept for the comments are dropped once they are read.
    expect(await database.prisma.backfillIssue.count()).toBe(0);
    // what the dashboard shows of the issues it has rows for
    const issues = await database.prisma.issue.findMany({
      orderBy: { number: "asc" },
      select: { number: true, title: true, openedAt: true },
    });
    expect(issues).toEqual([
      { number: 1, title: "Issue 1", openedAt: new Date("2026-01-10T10:00:00Z") },
      { number: 4, title: "Issue 4", openedAt: new Date("2026-01-10T10:00:00Z") },
    ]);
  });

  // As GitHub's REST listing shows who wrote a text: a person (type User), perhaps through an app with their own token,
  // or an app's bot account writing as itself.
  const stranger = { user: { login: "mallory", type: "User" }, author_association: "NONE" };
  const triageApp = { id: 4242, slug: "triage-bot", name: "Triage bot" };
  const triageBot = { user: { login: "triage-bot[bot]", type: "Bot" }, performed_via_github_app: triageApp };
  const strangerComments = () => [
    {
      issue_url: `${GITHUB_API}/repos/octo-org/app/issues/1`,
      id: 601,
      author_association: "FIRST_TIME_CONTRIBUTOR",
      body: "https://acme.zendesk.com/agent/tickets/2",
      created_at: "2026-01-12T10:00:00Z",
      updated_at: "2026-01-12T10:00:00Z",
    },
    {
      issue_url: `${GITHUB_API}/repos/octo-org/app/issues/1`,
      id: 602,
      ...triageBot,
      author_association: "NONE",
      body: "https://acme.zendesk.com/agent/tickets/3",
      created_at: "2026-01-13T10:00:00Z",
      updated_at: "2026-01-13T10:00:00Z",
    },
    {
      issue_url: `${GITHUB_API}/repos/octo-org/app/issues/1`,
      id: 603,
      ...stranger,
      performed_via_github_app: triageApp,
      body: "https://acme.zendesk.com/agent/tickets/4",
      created_at: "2026-01-14T10:00:00Z",
      updated_at: "2026-01-14T10:00:00Z",
    },
  ];

  it("reads only what links.from trusts and what apps installed on the repository wrote as themselves", async () => {
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, [
      { ...issue(1, { body: "https://acme.zendesk.com/agent/tickets/1", comments: 3 }), ...stranger },
      {
        ...issue(2, { body: "https://acme.zendesk.com/agent/tickets/5" }),
        ...stranger,
        performed_via_github_app: triageApp,
      },
    ]);
    nockIssues("closed", 1, []);
    nockComments(1, "2026-01-10T10:00:00.000Z", strangerComments());
    const counts = await runBackfill(
      deps,
      (await claimBackfill(database.prisma, database.engine, { owner: "only", leaseMs: 60_000 }))!,
    );
    expect(counts.links).toBe(1);
    expect(await links(1)).toEqual([["zendesk", "3", "comment", "2026-01-13T10:00:00.000Z"]]);
    expect(await links(2)).toEqual([]);
    expect(await database.prisma.source.count()).toBe(1);
  });

  it("reads no app's own text when links.apps does not name it", async () => {
    nockConfig("octo-org", "app", "links:\n  apps: [renovate]\n");
    nockIssues("open", 1, [
      { ...issue(1, { body: "https://acme.zendesk.com/agent/tickets/1", comments: 3 }), ...triageBot },
    ]);
    nockIssues("closed", 1, []);
    nockComments(1, "2026-01-10T10:00:00.000Z", strangerComments());
    const counts = await runBackfill(
      deps,
      (await claimBackfill(database.prisma, database.engine, { owner: "only", leaseMs: 60_000 }))!,
    );
    expect(counts).toMatchObject({ issues: 1, comments: 3, links: 0 });
    expect(await database.prisma.source.count()).toBe(0);
  });

  it("changes nothing when run again over the same issues", async () => {
    const page = [issue(1, { body: "https://acme.zendesk.com/agent/tickets/4242" })];
    for (let run = 0; run < 2; run++) {
      if (run === 1) await requestBackfills(database, [REPOSITORY], NOW);
      if (run === 0) nockConfig("octo-org", "app", null);
      nockIssues("open", 1, page);
      nockIssues("closed", 1, []);
      const counts = await runBackfill(
        deps,
        (await claimBackfill(database.prisma, database.engine, { owner: "only", leaseMs: 60_000 }))!,
      );
      expect(counts.links).toBe(run === 0 ? 1 : 0);
    }
    expect(await links(1)).toEqual([["zendesk", "4242", "body", "2026-01-10T10:00:00.000Z"]]);
  });

  it("reads the owner's .github file once for all the installation's repositories that have no file of their own", async () => {
    const api = { ...REPOSITORY, id: 1296270n, name: "api" };
    const web = { ...REPOSITORY, id: 1296271n, name: "web" };
    await requestBackfills(database, [api, web], NOW);
    const configPath = (repo: string) =>
      `/repos/octo-org/${repo}/contents/${encodeURIComponent(".github/closeloop.yml")}`;
    const yaml = { "content-type": "text/plain; charset=utf-8" };
    // The owner's file reads contributors' links; web's own file reads only owners'.
    nock(GITHUB_API).get(configPath("app")).reply(404, { message: "Not Found" });
    nock(GITHUB_API).get(configPath(".github")).reply(200, "links:\n  from: [contributor]\n", yaml);
    nock(GITHUB_API).get(configPath("api")).reply(404, { message: "Not Found" });
    nock(GITHUB_API).get(configPath("web")).reply(200, "links:\n  from: [owner]\n", yaml);
    for (const [repo, ticket] of [
      ["app", 1],
      ["api", 2],
      ["web", 3],
    ] as const) {
      const body = `Customer: https://acme.zendesk.com/agent/tickets/${ticket}`;
      nock(GITHUB_API)
        .get(`/repos/octo-org/${repo}/issues`)
        .query((query) => query.state === "open")
        .reply(200, [issue(1, { body, association: "CONTRIBUTOR" })]);
      nock(GITHUB_API)
        .get(`/repos/octo-org/${repo}/issues`)
        .query((query) => query.state === "closed")
        .reply(200, []);
    }
    expect(await new BackfillWorker(deps).drain()).toBe(3);
    const linked = async (repo: string) =>
      ((await listIssueLinks(database.prisma, `octo-org/${repo}`, 1)) ?? []).map((link) => link.conversationId);
    expect([await linked("app"), await linked("api"), await linked("web")]).toEqual([["1"], ["2"], []]);
  });

  it("the worker marks a repository GitHub will not let it read as failed, with the reason", async () => {
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, 404);
    const worker = new BackfillWorker(deps);
    expect(await worker.drain()).toBe(1);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({
      state: "failed",
      lastError: "GitHub does not let closeloop read octo-org/app's issues (404)",
    });
  });

  it("the worker retries a page GitHub refused for its rate limit, rather than failing the repository", async () => {
    nockConfig("octo-org", "app", null);
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query(true)
      .reply(
        403,
        { message: "API rate limit exceeded for installation ID 77." },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 60) },
      );
    const worker = new BackfillWorker(deps);
    expect(await worker.drain()).toBe(1);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({
      state: "running",
      phase: "open",
      page: 1,
      lastError: expect.stringContaining("rate limit"),
    });
  });

  it("the worker reads or stores no page while webhooks arrive in a burst, and goes on once they stop", async () => {
    nockConfig("octo-org", "app", null);
    const seen: string[] = [];
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "open")
      .reply(() => (seen.push("open issues listed"), [200, []]));
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "closed")
      .reply(() => (seen.push("closed issues listed"), [200, []]));
    // A burst for the first three looks, then quiet; a second burst begins while GitHub answers the first page, a
    // third before the second page.
    const bursts = [true, true, true, false, true, false, true, false, false];
    const worker = new BackfillWorker(deps, {
      yieldMs: 1,
      ingestActive: () => {
        const burst = bursts.shift() ?? false;
        seen.push(burst ? "burst" : "quiet");
        return burst;
      },
    });
    expect(await worker.drain()).toBe(1);
    expect(seen).toEqual([
      "burst",
      "burst",
      "burst",
      "quiet",
      "open issues listed",
      // the page (empty: its cursor only) is written only once the burst is over
      "burst",
      "quiet",
      "burst",
      "quiet",
      "closed issues listed",
      "quiet",
      // the comments' phase: no issue was kept for it, so nothing is listed; its cursor's write waits all the same
      "quiet",
      "quiet",
    ]);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ state: "done" });
  });

  /**
   * A worker that sees quiet at its first two looks (before a page's read and its first write), then a burst that
   * lasts until `during` has read what the database holds meanwhile; what it read is in `seen`.
   */
  function burstAtThirdLook<T>(during: () => Promise<T>) {
    const seen: T[] = [];
    let looks = 0;
    let reading: Promise<unknown> | undefined;
    let read = false;
    const worker = new BackfillWorker(deps, {
      yieldMs: 1,
      ingestActive: () => {
        if (++looks < 3 || read) return false;
        reading ??= during()
          .then((value) => seen.push(value))
          .finally(() => (read = true));
        return true;
      },
    });
    return { worker, seen };
  }

  it("the worker stores a page in parts: a burst that begins after the first waits for it, not the whole page", async () => {
    nockConfig("octo-org", "app", null);
    // 30 issues each with a link in its body: 12 fit in a part of 25 issues and texts.
    const linked = Array.from({ length: 30 }, (_, i) =>
      issue(i + 1, { body: `https://acme.zendesk.com/agent/tickets/${i + 1}` }),
    );
    nockIssues("open", 1, linked);
    nockIssues("closed", 1, []);
    const { worker, seen } = burstAtThirdLook(() => database.prisma.issue.count());
    expect(await worker.drain()).toBe(1);
    // the issues stored while the burst arrived
    expect(seen).toEqual([12]);
    expect(await database.prisma.issue.count()).toBe(30);
    expect(await links(30)).toEqual([["zendesk", "30", "body", expect.any(String)]]);
  });

  it("the worker writes a page's cursor only once a burst that began during its store is over", async () => {
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, [issue(1, { body: "https://acme.zendesk.com/agent/tickets/1" })]);
    nockIssues("closed", 1, []);
    const { worker, seen } = burstAtThirdLook(async () => {
      const backfill = await readBackfill(database.prisma, REPOSITORY.id);
      return backfill && { phase: backfill.phase, page: backfill.page };
    });
    expect(await worker.drain()).toBe(1);
    // the cursor while the burst arrived: still at the page just stored
    expect(seen).toEqual([{ phase: "open", page: 1 }]);
    expect(await links(1)).toEqual([["zendesk", "1", "body", expect.any(String)]]);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ state: "done" });
  });

  it("the worker reads or stores no page until no webhook came for half a second, and goes on after", async () => {
    nockConfig("octo-org", "app", null);
    const inbox = new DeliveryInbox({ write: async () => 0, close: async () => {} }, () => {});
    let now = 0;
    const seen: string[] = [];
    const webhook = () => (inbox.arrived(now), seen.push(`${now} ms: a webhook`));
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "open")
      // A webhook arrives while GitHub answers: the page is not stored until the quiet after it.
      .reply(() => (seen.push(`${now} ms: open issues listed`), webhook(), [200, []]));
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "closed")
      .reply(() => (seen.push(`${now} ms: closed issues listed`), [200, []]));
    webhook();
    const worker = new BackfillWorker(deps, {
      yieldMs: 1,
      // The server's signal, on a clock that moves 100 ms at each look.
      ingestActive: (quietMs) => {
        now += 100;
        const burst = inbox.receiving(quietMs, false, 10_000, now);
        if (!burst) seen.push(`${now} ms: quiet`);
        return burst;
      },
    });
    expect(await worker.drain()).toBe(1);
    expect(seen).toEqual([
      "0 ms: a webhook",
      // The delivery worker's quiet (20 ms) was over at the first look, 100 ms on.
      "500 ms: quiet",
      "500 ms: open issues listed",
      "500 ms: a webhook",
      // the page's writes (empty: its cursor only)
      "1000 ms: quiet",
      "1100 ms: quiet",
      "1100 ms: closed issues listed",
      "1200 ms: quiet",
      // the comments' phase: no issue was kept for it, so nothing is listed; its cursor's write waits all the same
      "1300 ms: quiet",
      "1400 ms: quiet",
    ]);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ state: "done" });
  });

  it("waits for GitHub's reset when its answers leave only the webhooks' reserve, then goes on: no call refused", async () => {
    const resetAt = resetIn(1);
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, [issue(1, { body: "https://acme.zendesk.com/agent/tickets/1" })], false, budget(1, resetAt));
    const asked: number[] = [];
    nockClosedAfterReset(resetAt, asked);
    const drained = new BackfillWorker(deps).drain();
    // While it waits, `closeloop status` says until when.
    await waitFor(
      async () => (await backfillSummary(database.prisma)).waitingForGithubUntil !== null,
      5_000,
      "the wait recorded",
    );
    expect((await backfillSummary(database.prisma)).waitingForGithubUntil).toEqual(new Date(resetAt + 250));
    expect(await drained).toBe(1);
    // One call each for the config, the open and the closed issues (no issue kept for comments): the fewest there are.
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeGreaterThanOrEqual(resetAt);
    expect((await backfillSummary(database.prisma)).waitingForGithubUntil).toBeNull();
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({
      state: "done",
      issues: 1,
      links: 1,
      lastError: null,
    });
  });

  it("keeps its lease while it waits for GitHub's reset: no other process takes the backfill over", async () => {
    const resetAt = resetIn(2);
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, [], false, budget(1, resetAt));
    const asked: number[] = [];
    let takenOver: unknown = "not asked";
    // A lease of 0.6 s, shorter than the wait: another process looks for a claimable backfill once the wait is over.
    nockClosedAfterReset(resetAt, asked, async () => {
      takenOver = await claimBackfill(database.prisma, database.engine, { owner: "another", leaseMs: 60_000 });
    });
    expect(await new BackfillWorker(deps, { leaseMs: 600 }).drain()).toBe(1);
    expect(asked).toHaveLength(1);
    expect(takenOver).toBeNull();
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ state: "done", lastError: null });
  });

  it("stops waiting for GitHub's reset as soon as the process stops, and is handed back at its page", async () => {
    nockConfig("octo-org", "app", null);
    // The reset is a minute away; nothing more is asked of GitHub (an unmatched request would fail the test).
    nockIssues("open", 1, [], false, budget(1, resetIn(60)));
    const claimed = (await claimBackfill(database.prisma, database.engine, { owner: "only", leaseMs: 60_000 }))!;
    let stopping = false;
    const started = Date.now();
    setTimeout(() => (stopping = true), 300);
    const outcome = await runBackfill(deps, claimed, { stopping: () => stopping });
    expect(outcome.finished).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ phase: "closed", page: 1 });
  });

  it("does not wait for GitHub's reset when no call is left to make: a repository without comments to read ends", async () => {
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, [issue(1, { body: "https://acme.zendesk.com/agent/tickets/1" })]);
    // The last listing leaves only the webhooks' reserve, and no issue was kept for the comments phase.
    nockIssues("closed", 1, [], false, budget(1, resetIn(60)));
    const started = Date.now();
    expect(await new BackfillWorker(deps).drain()).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ state: "done", links: 1 });
  });

  it("does not wait when GitHub's answer names no reset, as without rate-limit headers", async () => {
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, [], false, { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0" });
    nockIssues("closed", 1, []);
    const started = Date.now();
    expect(await new BackfillWorker(deps).drain()).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await readBackfill(database.prisma, REPOSITORY.id)).toMatchObject({ state: "done" });
  });

  it("the worker retries a run that failed on a GitHub error later, at its page", async () => {
    nockConfig("octo-org", "app", null);
    nockIssues("open", 1, 500);
    const worker = new BackfillWorker(deps);
    expect(await worker.drain()).toBe(1);
    const status = await readBackfill(database.prisma, REPOSITORY.id);
    expect(status).toMatchObject({ state: "running", page: 1, lastError: expect.stringContaining("Server Error") });
    expect(await claimBackfill(database.prisma, database.engine, { owner: "another", leaseMs: 60_000 })).toBeNull();
  });
});
