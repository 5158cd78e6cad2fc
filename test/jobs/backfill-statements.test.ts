import nock from "nock";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { GithubMemory } from "../../src/github/memory.js";
import { runBackfill, type BackfillDeps } from "../../src/jobs/backfill.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import { claimBackfill, requestBackfills } from "../../src/store/backfills.js";
import { listIssueLinks } from "../../src/store/links.js";
import { ENGINES } from "../support/databases.js";
import { GITHUB_API, nockConfig, testProbot } from "../support/github.js";
import { openRecordingDatabase, type RecordingDatabase } from "../support/statements.js";

/**
 * #25, backfill of a big installation: a listing page is stored in a few transactions of a few statements each, one
 * per part of at most 25 issues and texts, however many issues, bodies and comments each part holds (a statement per
 * listed issue and a transaction per text with links made a 1,000-repository backfill take days and crowd the webhooks
 * out; a page in one transaction ran on beside a burst of webhooks that began during it).
 */

const REPOSITORY = { id: 1296269n, installationId: 77n, owner: "octo-org", name: "app" };
const ticket = (id: number) => `https://acme.zendesk.com/agent/tickets/${id}`;
const intercom = (id: number) => `https://app.intercom.com/a/inbox/abc123/inbox/conversation/${id}`;

function listedIssue(number: number) {
  return {
    id: 9000 + number,
    number,
    title: `Issue ${number}`,
    state: "open",
    author_association: "MEMBER",
    // Every other body links a ticket.
    body: number % 2 === 1 ? `Reported in ${ticket(number)}` : "No link.",
    comments: 2,
    created_at: "2026-01-10T10:00:00Z",
    updated_at: "2026-02-01T10:00:00Z",
    closed_at: null,
  };
}

/** Two comments per issue: the first links a conversation of its own, the second the issue's ticket again. */
function listedComments(issues: number) {
  return Array.from({ length: issues }, (_, i) => i + 1).flatMap((number) => [
    {
      id: 500 + number * 2,
      issue_url: `${GITHUB_API}/repos/octo-org/app/issues/${number}`,
      author_association: "MEMBER",
      user: { login: "dev", type: "User" },
      body: `Customer: ${intercom(number)}`,
      created_at: "2026-01-11T10:00:00Z",
      updated_at: "2026-01-11T10:00:00Z",
    },
    {
      id: 501 + number * 2,
      issue_url: `${GITHUB_API}/repos/octo-org/app/issues/${number}`,
      author_association: "MEMBER",
      user: { login: "dev", type: "User" },
      body: number === 1 ? `Same ticket: ${ticket(1)}` : "Looking into it.",
      created_at: "2026-01-12T10:00:00Z",
      updated_at: "2026-01-12T10:00:00Z",
    },
  ]);
}

/** A page's new texts with links, whatever their number: each kind of row in one statement. */
const NEW_TEXTS = [
  "INSERT Issue",
  "INSERT Source",
  "INSERT SourceVersion",
  "INSERT Mention",
  "INSERT Link",
  "INSERT EnrichJob",
  "INSERT LinkSource",
  "UPDATE Issue",
];

describe.each(ENGINES)("a backfill page's statements on %s", (engine) => {
  let database: RecordingDatabase;
  let deps: BackfillDeps;
  const log = pino({ level: "silent" });

  beforeAll(async () => {
    database = await openRecordingDatabase(engine);
    const probot = testProbot();
    deps = {
      prisma: database.prisma,
      repositoryRows: database.repositoryRows,
      engine: database.engine,
      github: (id) => probot.auth(id),
      configs: new RepoConfigCache(database, log),
      memory: new GithubMemory(),
      matchers: urlMatchers,
      appId: 1,
      log,
      perPage: 100,
    };
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.prisma.repository.deleteMany();
    deps.configs = new RepoConfigCache(database, log);
    await requestBackfills(database, [REPOSITORY], new Date());
  });

  /** The statements of a backfill of one page of `issues` open issues and one page of their comments, by phase. */
  async function backfill(issues: number) {
    nockConfig("octo-org", "app", null);
    const listed = Array.from({ length: issues }, (_, i) => listedIssue(i + 1));
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query({ state: "open", sort: "created", direction: "asc", per_page: "100", page: "1" })
      .reply(200, listed);
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .query((query) => query.state === "closed")
      .reply(200, []);
    nock(GITHUB_API).get("/repos/octo-org/app/issues/comments").query(true).reply(200, listedComments(issues));
    const claimed = (await claimBackfill(database.prisma, database.engine, { owner: "only", leaseMs: 60_000 }))!;
    // As the server runs it: the markings job applies the labels the pages mark wanted.
    return database.statementsOf(() => runBackfill(deps, claimed));
  }

  it("stores a page of issues and a page of comments in a few statements a part, however many issues", async () => {
    const again = async (issues: number) => {
      await database.prisma.repository.deleteMany();
      deps.configs = new RepoConfigCache(database, log);
      await requestBackfills(database, [REPOSITORY], new Date());
      return backfill(issues);
    };
    const few = await backfill(4);
    // 8 issues and their texts still fit in one part a page.
    expect(await again(8)).toEqual(few);
    // 40 take 3 parts for the issues' page (40 issues, 20 bodies with links) and 4 for the comments' (40 issues,
    // 41 comments with links), none of more statements than a part of 4 issues.
    const many = await again(40);
    const transactions = (statements: string[]) =>
      statements
        .join("\n")
        .split("COMMIT")
        .map((transaction) => transaction.split("\n").filter((statement) => statement !== "").length);
    expect(transactions(many)).toHaveLength(3 + 4 + 1);
    expect(Math.max(...transactions(many))).toBeLessThanOrEqual(Math.max(...transactions(few)));
    expect(few).toEqual([
      // the repository's config, read once for the run (nothing stored: none was found)
      "DELETE ConfigError",
      // the open issues' page: the titles of stored issues, the issues kept for their comments, the bodies' links
      "UPDATE Issue",
      "DELETE BackfillIssue",
      "INSERT BackfillIssue",
      ...NEW_TEXTS,
      "COMMIT",
      "UPDATE Backfill",
      // the closed issues' page: none
      "UPDATE Backfill",
      // the comments' page: the conversations the issues have already are read first
      "SELECT",
      "SELECT BackfillIssue",
      "INSERT Issue",
      "INSERT Source",
      "SELECT Mention",
      ...NEW_TEXTS.slice(2),
      // the one comment linking a conversation its issue has already takes the path every change takes: the issue, the
      // source, its versions and mentions one statement on PostgreSQL, the issue's links read with their carriers
      ...(engine === "postgresql"
        ? ["WITH source"]
        : ["INSERT Issue", "INSERT Source", "INSERT SourceVersion", "INSERT Mention"]),
      "SELECT Mention",
      "INSERT LinkSource",
      "UPDATE Issue",
      "COMMIT",
      "UPDATE Backfill",
      "DELETE BackfillIssue",
    ]);
    // The first issue's ticket is in its body and in its second comment: one link, carried by both.
    const first = await listIssueLinks(database.prisma, "octo-org/app", 1);
    expect(first?.map((link) => [link.conversationId, link.sources.map((source) => source.key)])).toEqual([
      ["1", ["", "503"]],
      ["1", ["502"]],
    ]);
    expect(await listIssueLinks(database.prisma, "octo-org/app", 40)).toHaveLength(1);
    // Every issue gained a link: its labels are marked wanted for the markings job.
    expect(await database.prisma.issue.count({ where: { labelsWantedAt: { not: null } } })).toBe(40);
  });
});
