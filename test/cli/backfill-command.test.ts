import nock from "nock";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/arguments.js";
import { backfillCommand, type GitHubApp } from "../../src/cli/backfill-command.js";
import { runCli } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { listIssueLinks, purgeRepositories } from "../../src/store/links.js";
import { purgedRepositoryRecords } from "../../src/store/purged-installations.js";
import { markLabelsWanted } from "../../src/store/issue-markings.js";
import { IssueMarkingsWorker } from "../../src/jobs/issue-markings-worker.js";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { GithubMemory } from "../../src/github/memory.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { GITHUB_API, nockConfig, testProbot } from "../support/github.js";
import { markingsRun } from "../support/markings.js";

function capture() {
  const lines: string[] = [];
  let json: unknown;
  const out: Output = {
    line: (text) => lines.push(text),
    table: () => {},
    json: (value) => (json = value),
    text: () => {},
  };
  return { out, lines, json: () => json };
}

const ISSUE = {
  id: 9001,
  number: 1,
  state: "open",
  author_association: "MEMBER",
  body: "Report: https://acme.zendesk.com/agent/tickets/4242",
  comments: 0,
  created_at: "2026-01-10T10:00:00Z",
  updated_at: "2026-01-10T10:00:00Z",
  closed_at: null,
};

/** One page of open issues and none closed: what a small repository's backfill reads after its config. */
/** One repository's listing; `ownerRead` false when an earlier repository of the owner read its .github file. */
function nockRepositoryIssues(owner: string, repo: string, status = 200, ownerRead = true) {
  if (ownerRead) nockConfig(owner, repo, null);
  else
    nock(GITHUB_API)
      .get(`/repos/${owner}/${repo}/contents/${encodeURIComponent(".github/closeloop.yml")}`)
      .reply(404, { message: "Not Found" });
  const listing = nock(GITHUB_API)
    .get(`/repos/${owner}/${repo}/issues`)
    .query((query) => query.state === "open" && query.page === "1");
  if (status !== 200) return void listing.reply(status, { message: "Not Found" });
  listing.reply(200, [ISSUE]);
  nock(GITHUB_API)
    .get(`/repos/${owner}/${repo}/issues`)
    .query((query) => query.state === "closed" && query.page === "1")
    .reply(200, []);
}

describe.each(ENGINES)("closeloop backfill on %s", (engine) => {
  let database: Database;
  const probot = testProbot();
  const github: GitHubApp = { appId: 1, auth: (installationId) => probot.auth(installationId) };

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.prisma.repository.deleteMany();
    await database.prisma.purgedRepository.deleteMany();
  });

  it("finds the app's installation on a repository it has not seen, reads it with progress, and prints the counts", async () => {
    nock(GITHUB_API).get("/repos/octo-org/app/installation").reply(200, { id: 77 });
    nock(GITHUB_API)
      .get("/repos/octo-org/app")
      .reply(200, { id: 1296269, name: "app", owner: { login: "octo-org" } });
    nockRepositoryIssues("octo-org", "app");
    const progress: string[] = [];
    const { out, lines } = capture();
    const code = await backfillCommand(
      database,
      ["octo-org/app"],
      { all: false, json: false, progress: (line) => progress.push(line) },
      out,
      github,
    );
    expect(code).toBe(0);
    expect(lines).toEqual(["octo-org/app: 1 issues and 0 comments read, 1 links found"]);
    expect(progress.at(-1)).toBe("octo-org/app: done · 1 issues · 0 comments · 1 links");
    expect((await listIssueLinks(database.prisma, "octo-org/app", 1))?.map((link) => link.conversationId)).toEqual([
      "4242",
    ]);
    expect(await database.prisma.repository.findUnique({ where: { id: 1296269n } })).toMatchObject({
      installationId: 77n,
    });
  });

  it("reads a repository removed from its installation and added back, as GitHub lists it, before the added event", async () => {
    // The removal was processed; the added event is still in the inbox (a server down, a backlog): GitHub's answer
    // here is that the installation includes the repository again.
    await purgedRepositoryRecords(database.prisma, 77n, [1296269n], new Date());
    nock(GITHUB_API).get("/repos/octo-org/app/installation").reply(200, { id: 77 });
    nock(GITHUB_API)
      .get("/repos/octo-org/app")
      .reply(200, { id: 1296269, name: "app", owner: { login: "octo-org" } });
    nockRepositoryIssues("octo-org", "app");
    const { out, lines } = capture();
    const code = await backfillCommand(database, ["octo-org/app"], { all: false, json: false }, out, github);
    expect(code).toBe(0);
    expect(lines).toEqual(["octo-org/app: 1 issues and 0 comments read, 1 links found"]);
    expect((await listIssueLinks(database.prisma, "octo-org/app", 1))?.map((link) => link.conversationId)).toEqual([
      "4242",
    ]);
    // A late delivery of the repository is taken again too: the record is lifted.
    expect(await database.prisma.purgedRepository.count()).toBe(0);
  });

  it("says a repository removed from its installation while it was read is purged, and goes on", async () => {
    const repository = { id: 1296269n, installationId: 77n, owner: "octo-org", name: "app" };
    // The rows an earlier test wrote were deleted behind the cache's back.
    database.repositoryRows.forget();
    await database.repositoryRows.ensure(repository);
    nockConfig("octo-org", "app", null);
    // A server processes the repository's removal while the CLI waits for its first page.
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "open" && query.page === "1")
      .reply(async () => {
        await purgeRepositories(database, { installationId: 77n, ids: [repository.id] });
        return [200, [ISSUE]];
      });
    const { out, lines } = capture();
    const code = await backfillCommand(database, ["octo-org/app"], { all: false, json: false }, out, github);
    expect(lines).toEqual([
      "octo-org/app: removed from installation 77 while it was read; closeloop keeps nothing of it",
    ]);
    expect(code).toBe(0);
    expect(await database.prisma.repository.count()).toBe(0);
  });

  it("says in its progress line that it waits for GitHub's rate limit, and until when", async () => {
    nock(GITHUB_API).get("/repos/octo-org/app/installation").reply(200, { id: 77 });
    nock(GITHUB_API)
      .get("/repos/octo-org/app")
      .reply(200, { id: 1296269, name: "app", owner: { login: "octo-org" } });
    // GitHub's answer to the open issues leaves 1 call of 10: the webhooks' reserve, kept until the reset.
    const resetAt = (Math.ceil(Date.now() / 1000) + 1) * 1000;
    nockConfig("octo-org", "app", null);
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "open")
      .reply(200, [ISSUE], {
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": "1",
        "x-ratelimit-reset": String(resetAt / 1000),
      });
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "closed")
      .reply(200, []);
    const progress: string[] = [];
    const code = await backfillCommand(
      database,
      ["octo-org/app"],
      { all: false, json: false, progress: (line) => progress.push(line) },
      capture().out,
      github,
    );
    expect(code).toBe(0);
    expect(progress).toEqual([
      "octo-org/app: closed issues, page 1 · 1 issues · 0 comments · 1 links",
      `octo-org/app: closed issues, page 1 · waiting for GitHub's rate limit until ${new Date(resetAt + 250).toISOString()} · 1 issues · 0 comments · 1 links`,
      "octo-org/app: comments, page 1 · 1 issues · 0 comments · 1 links",
      "octo-org/app: comments, page 1 · 1 issues · 0 comments · 1 links",
      "octo-org/app: done · 1 issues · 0 comments · 1 links",
    ]);
  });

  it("--all reads every repository of every installation, --json prints the counts; a repository it may not read fails the run", async () => {
    nock(GITHUB_API)
      .get("/app/installations")
      .query(true)
      .reply(200, [{ id: 77 }]);
    nock(GITHUB_API)
      .get("/installation/repositories")
      .query(true)
      .reply(200, {
        total_count: 2,
        repositories: [
          { id: 1, name: "app", owner: { login: "octo-org" } },
          { id: 2, name: "secret", owner: { login: "octo-org" } },
        ],
      });
    nockRepositoryIssues("octo-org", "app");
    // The owner's .github file is read once for the installation's run, not once per repository.
    nockRepositoryIssues("octo-org", "secret", 404, false);
    // octo-org/app was removed and added back; closeloop has not processed the `added` yet: GitHub's listing decides.
    await purgedRepositoryRecords(database.prisma, 77n, [1n], new Date());
    const { out, json } = capture();
    const code = await backfillCommand(database, [], { all: true, json: true }, out, github);
    expect(code).toBe(1);
    expect(json()).toEqual([
      { repository: "octo-org/app", state: "done", issues: 1, comments: 0, links: 1, error: null },
      {
        repository: "octo-org/secret",
        state: "failed",
        issues: 0,
        comments: 0,
        links: 0,
        error: "GitHub does not let closeloop read octo-org/secret's issues (404)",
      },
    ]);
  });

  /** A repository's listing: issue 1 with `tickets` in its body, opened an hour ago (its reports count), `edited`. */
  function nockListing(tickets: number[], edited = 0) {
    const hourAgo = Date.now() - 3_600_000;
    const times = { created_at: new Date(hourAgo).toISOString(), updated_at: new Date(hourAgo + edited).toISOString() };
    const body = tickets.map((ticket) => `https://acme.zendesk.com/agent/tickets/${ticket}`).join(" ");
    nockConfig("octo-org", "app", null);
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "open" && query.page === "1")
      .reply(200, [{ ...ISSUE, body, ...times }]);
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "closed" && query.page === "1")
      .reply(200, []);
  }
  const nockWeekly = () => {
    nock(GITHUB_API).post("/repos/octo-org/app/labels").reply(201, {});
    nock(GITHUB_API)
      .post("/repos/octo-org/app/issues/1/labels", { labels: ["reported: weekly"] })
      .reply(200, []);
  };
  const markings = () =>
    new IssueMarkingsWorker(
      {
        prisma: database.prisma,
        engine,
        github: (id) => probot.auth(id),
        configs: new RepoConfigCache(database, pino({ level: "silent" })),
        memory: new GithubMemory(),
        log: pino({ level: "silent" }),
      },
      { coalesceMs: 0 },
    );

  it.each([
    [
      "applies the labels of issues that gained links through the markings job's lease, leaving nothing for the server",
      false,
    ],
    ["in a dry run, leaves the labels of issues that gained links marked for the server, which may not be one", true],
  ])("%s", async (_, dryRun) => {
    nock(GITHUB_API).get("/repos/octo-org/app/installation").reply(200, { id: 77 });
    nock(GITHUB_API)
      .get("/repos/octo-org/app")
      .reply(200, { id: 1296269, name: "app", owner: { login: "octo-org" } });
    nockListing([4242, 4343]);
    if (!dryRun) nockWeekly();
    const options = { all: false, json: false, dryRun };
    expect(await backfillCommand(database, ["octo-org/app"], options, capture().out, github)).toBe(0);
    // Done under the lease, the server's markings job finds nothing to do; not done, it finds the issue marked.
    const issue = await database.prisma.issue.findFirstOrThrow();
    expect(issue.lockedBy).toBeNull();
    expect(issue.labelsWantedAt === null).toBe(!dryRun);
  });

  it("leaves an issue whose labels a running server is applying to the server, which applies the gained link after", async () => {
    nock(GITHUB_API).get("/repos/octo-org/app/installation").reply(200, { id: 77 });
    nock(GITHUB_API)
      .get("/repos/octo-org/app")
      .reply(200, { id: 1296269, name: "app", owner: { login: "octo-org" } });
    nockListing([4242]);
    expect(await backfillCommand(database, ["octo-org/app"], { all: false, json: false }, capture().out, github)).toBe(
      0,
    );
    // A delivery marked issue 1 and the server's markings job claimed it: it is applying what it read, one link.
    const { prisma } = database;
    const issue = await prisma.issue.findFirstOrThrow();
    await markLabelsWanted(prisma, [issue.id], new Date());
    const server = markingsRun(database, "server");
    const [job] = await server.claim();

    // Run again by hand, the backfill finds a second link: no label write of its own beside the server's.
    nockListing([4242, 4343], 60_000);
    expect(await backfillCommand(database, ["octo-org/app"], { all: false, json: false }, capture().out, github)).toBe(
      0,
    );
    expect((await listIssueLinks(prisma, "octo-org/app", 1))?.map((link) => link.conversationId)).toEqual([
      "4242",
      "4343",
    ]);
    expect(await server.applied(job!)).toBe(true);
    // The server's job runs again for the backfill's change, and applies it.
    nockConfig("octo-org", "app", null);
    nockWeekly();
    expect(await markings().drain()).toBe(1);
  });

  it("says so when the app is not installed on the repository, and refuses a bad argument", async () => {
    nock(GITHUB_API).get("/repos/octo-org/elsewhere/installation").reply(404, { message: "Not Found" });
    const { out } = capture();
    await expect(
      backfillCommand(database, ["octo-org/elsewhere"], { all: false, json: false }, out, github),
    ).rejects.toThrow(new UsageError("closeloop is not installed on octo-org/elsewhere (or cannot see it)"));
    await expect(backfillCommand(database, ["octo-org/app"], { all: true, json: false }, out, github)).rejects.toThrow(
      UsageError,
    );
    await expect(backfillCommand(database, ["octo-org"], { all: false, json: false }, out, github)).rejects.toThrow(
      /expected <owner>\/<repo>/,
    );
  });
});

describe("closeloop backfill with neither or both of a repository and --all", () => {
  it.each([[["backfill"]], [["backfill", "octo-org/app", "--all"]], [["backfill", "--json"]]])(
    "%j: exit 2, and the line is the usage (README, CLI)",
    async (argv) => {
      const saved = process.env.DATABASE_URL;
      process.env.DATABASE_URL = "file:/nonexistent/closeloop.db";
      try {
        const errors: string[] = [];
        const io = capture();
        expect(await runCli(argv, io.out, (line) => errors.push(line))).toBe(2);
        const usage = "usage: closeloop backfill <owner>/<repo> | --all [--json]";
        if (argv.includes("--json")) expect(io.json()).toEqual({ error: usage });
        else expect(errors).toEqual([`closeloop: ${usage}`]);
      } finally {
        if (saved === undefined) delete process.env.DATABASE_URL;
        else process.env.DATABASE_URL = saved;
      }
    },
  );
});

describe("closeloop backfill without the app's credentials", () => {
  it("exits 1 (a setting, not a bad argument) with one line naming them", async () => {
    const saved = { ...process.env };
    process.env.DATABASE_URL = await freshDatabaseUrl("sqlite");
    delete process.env.APP_ID;
    delete process.env.PRIVATE_KEY;
    delete process.env.PRIVATE_KEY_PATH;
    try {
      await runCli(["migrate"], capture().out, () => {});
      const errors: string[] = [];
      expect(await runCli(["backfill", "octo-org/app"], capture().out, (line) => errors.push(line))).toBe(1);
      expect(errors).toEqual([
        "closeloop: backfill reads GitHub as the app: set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH), as for the server",
      ]);
    } finally {
      process.env = saved;
    }
  });
});
