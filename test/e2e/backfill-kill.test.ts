import { afterAll, afterEach, describe, expect, it } from "vitest";
import { FakeGitHub, type RecordedRequest } from "../fakes/github-server.js";
import { GeneratedInstallation } from "../fakes/github-installation.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { webhookExample } from "../support/github.js";
import { githubAppEnv, postGithubWebhook, startApp, type RunningApp } from "../support/process.js";
import { kill } from "../support/reopen-process.js";
import { waitFor } from "../support/wait.js";

const SECRET = "backfill-kill-secret";
const KILLED_AT = "/repos/big-org/repo-1/issues/comments";

/**
 * The install backfill of a repository with several pages of issues and comments, in the real process, killed (SIGKILL)
 * while it waits for a page of the second repository's comments, then started again: the backfill resumes at that
 * page. Every link ends stored once, and no listing page is fetched twice except the one in flight at the kill.
 */
describe.each(ENGINES)("install backfill killed and resumed on %s", (engine) => {
  const github = new FakeGitHub();
  let database: Database | undefined;
  let app: RunningApp | undefined;

  afterEach(async () => {
    if (app) await kill(app);
    await database?.close();
  });
  afterAll(async () => {
    await github.stop();
  });

  it("resumes at the page in flight, reads every other page once, and stores every link once", async () => {
    const installation = new GeneratedInstallation({
      installationId: 88,
      owner: "big-org",
      repositories: 2,
      issuesPerRepository: 40,
      commentsPerRepository: 250,
    });
    github.installation = installation;
    const host = await github.start();
    const url = await freshDatabaseUrl(engine);
    const env = githubAppEnv(host, SECRET, url);
    // The second page of the second repository's comments is never answered: the process is killed waiting for it.
    let inFlight: RecordedRequest | undefined;
    let release = () => {};
    github.hold = (request) => {
      const url = new URL(request.path, "http://github");
      if (inFlight !== undefined || url.pathname !== KILLED_AT || url.searchParams.get("page") !== "2")
        return undefined;
      inFlight = request;
      return new Promise<void>((resolve) => (release = resolve));
    };

    app = await startApp(env);
    const payload = webhookExample<Record<string, any>>("installation", "created");
    payload.installation.id = installation.installationId;
    payload.installation.account.login = installation.owner;
    payload.repositories = installation.repositories.map((repository) => ({ ...repository, private: false }));
    const answer = await postGithubWebhook(app, SECRET, "installation", JSON.stringify(payload));
    expect(answer.status).toBe(200);
    await waitFor(async () => inFlight !== undefined, 60_000, "the backfill to ask for the held page");
    await kill(app);
    release();
    github.hold = undefined;

    database = await openDatabase(url);
    const backfills = () =>
      database!.prisma.backfill.findMany({
        orderBy: { repositoryId: "asc" },
        select: { state: true, phase: true, page: true, lockedBy: true },
      });
    expect(await backfills()).toEqual([
      expect.objectContaining({ state: "done", lockedBy: null }),
      { state: "running", phase: "comments", page: 2, lockedBy: expect.any(String) },
    ]);
    // The killed process's lease runs out (a minute: not waited for here).
    await database.prisma.backfill.updateMany({ data: { lockedUntil: new Date(Date.now() - 1_000) } });

    app = await startApp(env);
    await waitFor(
      async () => (await backfills()).every((backfill) => backfill.state === "done"),
      60_000,
      "every backfill done",
    );

    const totals = installation.totals();
    const stored = await database.prisma.backfill.aggregate({ _sum: { issues: true, comments: true, links: true } });
    expect(stored._sum).toEqual(totals);
    expect(await database.prisma.link.count()).toBe(totals.links);
    expect(await database.prisma.backfillIssue.count()).toBe(0);

    const listings = github.requests
      .filter((request) => /^\/repos\/big-org\/repo-\d+\/issues(\/comments)?\?/.test(request.path))
      .map((request) => request.path);
    const fetchedTwice = listings.filter((path, index) => listings.indexOf(path) !== index);
    expect(fetchedTwice).toEqual([inFlight!.path]);
    const minimum = installation.minimumCalls();
    expect(listings.length).toBe(minimum.issuePages + minimum.commentPages + 1);
  }, 120_000);
});
