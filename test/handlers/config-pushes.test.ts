import nock from "nock";
import pino from "pino";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { closeloopApp } from "../../src/app.js";
import type { HandlerDeps } from "../../src/handlers/deps.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { listProjectErrors, recordProjectError } from "../../src/store/project-fields.js";
import { startHarness, TEST_NOW, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { GITHUB_API, receive, testProbot, webhookExample } from "../support/github.js";

type Payload = Record<string, any>;

const SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const CONTENTS = "/repos/Codertocat/Hello-World/contents/.github%2Fcloseloop.yml";

function push(
  changes: { added?: string[]; modified?: string[]; removed?: string[] } = { modified: [".github/closeloop.yml"] },
  extra: Payload = {},
): Payload {
  const payload = webhookExample<Payload>("push", undefined, 4);
  payload.installation = { id: 77, node_id: "x" };
  for (const commit of [payload.commits[0], payload.head_commit])
    Object.assign(commit, { added: [], modified: [], removed: [], ...changes });
  return Object.assign(payload, extra);
}

/**
 * The file as GitHub serves it at `sha`. `optional` (also for `checkRun`) answers any number of requests or none, for
 * tests that expect none: a handler that wrongly makes them then fails the test's own assertions, not a missing mock.
 */
function fileAt(sha: string, yaml: string | null, { optional = false } = {}): void {
  const scope = nock(GITHUB_API).persist(optional).get(CONTENTS).query({ ref: sha }).optionally(optional);
  if (yaml === null) scope.reply(404, { message: "Not Found" });
  else scope.reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
}

/** The check run GitHub receives (`body` stays undefined when none is). */
function checkRun(status = 201, { optional = false } = {}): { body?: Record<string, any> } {
  const sent: { body?: Record<string, any> } = {};
  nock(GITHUB_API)
    .persist(optional)
    .post("/repos/Codertocat/Hello-World/check-runs", (body) => ((sent.body = body), true))
    .optionally(optional)
    .reply(status, status === 201 ? { id: 4 } : { message: "Resource not accessible by integration" });
  return sent;
}

/** The app on a Probot that keeps what it logs (info and up), to read what an operator would. */
async function loggingProbot(deps: HandlerDeps): Promise<{ probot: Probot; logged: { level: string; msg: string }[] }> {
  const logged: { level: string; msg: string }[] = [];
  const log = pino(
    { level: "info", formatters: { level: (level) => ({ level }) } },
    { write: (line: string) => void logged.push(JSON.parse(line)) },
  );
  const probot = testProbot(log);
  await probot.load(closeloopApp(deps));
  return { probot, logged };
}

describe.each(ENGINES)("the closeloop config check run on %s", (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => {
    await harness.close();
  });

  it("fails the pushed commit with the file, key and reason when the config is invalid, and records it for status", async () => {
    fileAt(SHA, "links:\n  max_per_source: lots\n");
    const check = checkRun();
    await receive(harness.probot, "push", push());
    expect(check.body).toEqual({
      name: "closeloop config",
      head_sha: SHA,
      status: "completed",
      conclusion: "failure",
      output: {
        title: ".github/closeloop.yml: links.max_per_source: must be a whole number",
        summary: expect.stringContaining("> .github/closeloop.yml: links.max_per_source: must be a whole number"),
      },
    });
    const error = await harness.database.prisma.configError.findUniqueOrThrow({ where: { repositoryId: 186853002n } });
    expect(error).toMatchObject({
      message: ".github/closeloop.yml: links.max_per_source: must be a whole number",
      commitSha: SHA,
    });
  });

  it("reports a YAML syntax error with where it is", async () => {
    fileAt(SHA, "links: [unclosed\n");
    const check = checkRun();
    await receive(harness.probot, "push", push());
    expect(check.body).toMatchObject({ conclusion: "failure" });
    expect(check.body!.output.title).toMatch(
      /^\.github\/closeloop\.yml: Configuration could not be parsed \(invalid YAML\): .*at line 2, column 1/,
    );
    expect(check.body!.output.summary).toContain(`contents/.github%2Fcloseloop.yml?ref=${SHA}`);
  });

  it("passes a valid config, clears an earlier error, and keeps the config it read for the next event", async () => {
    fileAt(SHA, "links:\n  max_per_source: lots\n");
    checkRun();
    await receive(harness.probot, "push", push());

    const fixed = "d".repeat(40);
    fileAt(fixed, "links:\n  max_per_source: 1\n");
    const check = checkRun();
    await receive(harness.probot, "push", push(undefined, { after: fixed }));
    expect(check.body).toMatchObject({
      head_sha: fixed,
      conclusion: "success",
      output: { title: ".github/closeloop.yml is valid" },
    });
    expect(await harness.database.prisma.configError.count()).toBe(0);

    // no second read of the file: the comment's links are capped by the config the push check read
    const comment = webhookExample<Payload>("issue_comment", "created");
    comment.installation = { id: 77, node_id: "x" };
    comment.comment.body = "https://acme.zendesk.com/agent/tickets/1 https://acme.zendesk.com/agent/tickets/2";
    await receive(harness.probot, "issue_comment", comment);
    expect(await harness.database.prisma.link.count()).toBe(1);
  });

  it("reads the config again on a force-push back to an older commit, which lists no commits, and asks for a sweep", async () => {
    let sweeps = 0;
    harness.deps.sweepRequested = async () => void sweeps++;
    const newer = "d".repeat(40);
    fileAt(newer, "links:\n  max_per_source: 1\n");
    checkRun();
    await receive(harness.probot, "push", push(undefined, { after: newer }));

    // The branch forced back to SHA, whose own commit touched only README.md: GitHub lists no commits for it.
    fileAt(SHA, "links:\n  max_per_source: 2\n");
    const check = checkRun();
    const reverted = push(
      { modified: ["README.md"] },
      {
        before: newer,
        after: SHA,
        created: false,
        forced: true,
        commits: [],
        compare: `https://github.com/Codertocat/Hello-World/compare/${newer.slice(0, 12)}...${SHA.slice(0, 12)}`,
      },
    );
    await receive(harness.probot, "push", reverted);
    expect(check.body).toMatchObject({ head_sha: SHA, conclusion: "success" });
    expect(sweeps).toBe(2);

    // The reverted config applies now, not when the cached one expires: both links of a comment are kept.
    const comment = webhookExample<Payload>("issue_comment", "created");
    comment.installation = { id: 77, node_id: "x" };
    comment.comment.body = "https://acme.zendesk.com/agent/tickets/1 https://acme.zendesk.com/agent/tickets/2";
    await receive(harness.probot, "issue_comment", comment);
    expect(await harness.database.prisma.link.count()).toBe(2);
  });

  it("reports no check on a forced push to a commit without the file, and still asks for a sweep", async () => {
    let sweeps = 0;
    harness.deps.sweepRequested = async () => void sweeps++;
    fileAt(SHA, null);
    nock(GITHUB_API)
      .get("/repos/Codertocat/.github/contents/.github%2Fcloseloop.yml")
      .reply(404, { message: "Not Found" });
    // No check run is expected: nock refuses a request nobody set up, and the delivery would fail.
    await receive(
      harness.probot,
      "push",
      push({ modified: ["README.md"] }, { before: "d".repeat(40), after: SHA, forced: true, commits: [] }),
    );
    expect(sweeps).toBe(1);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("reports a project the valid config names but closeloop cannot use, as a neutral check; drops it when the config names another", async () => {
    const project = "https://github.com/orgs/Codertocat/projects/3";
    const message = "organization Codertocat's project 3 was not found or is not visible to closeloop";
    await harness.database.prisma.repository.create({
      data: {
        id: 186853002n,
        installationId: 77n,
        owner: "Codertocat",
        name: "Hello-World",
        fullName: "codertocat/hello-world",
      },
    });
    await recordProjectError(harness.database.prisma, 186853002n, { url: project, message, seenAt: TEST_NOW });

    fileAt(SHA, `project:\n  url: ${project}\n`);
    let check = checkRun();
    await receive(harness.probot, "push", push());
    expect(check.body).toMatchObject({
      conclusion: "neutral",
      output: { title: ".github/closeloop.yml is valid, but closeloop cannot keep the project field" },
    });
    expect(check.body!.output.summary).toContain(`> ${message}`);

    const other = "e".repeat(40);
    fileAt(other, "project:\n  url: https://github.com/orgs/Codertocat/projects/4\n");
    check = checkRun();
    await receive(harness.probot, "push", push(undefined, { after: other }));
    expect(check.body).toMatchObject({ conclusion: "success" });
    expect(await listProjectErrors(harness.database.prisma)).toEqual([]);
  });

  it("passes when the file is removed (the org's file or the defaults apply)", async () => {
    fileAt(SHA, null);
    nock(GITHUB_API)
      .get("/repos/Codertocat/.github/contents/.github%2Fcloseloop.yml")
      .reply(404, { message: "Not Found" });
    const check = checkRun();
    await receive(harness.probot, "push", push({ removed: [".github/closeloop.yml"] }));
    expect(check.body).toMatchObject({ conclusion: "success" });
  });

  it("does nothing for pushes that do not touch the file, to other branches, or that delete the branch", async () => {
    const reads = vi.spyOn(harness.deps.configs, "get");
    const sweeps = vi.fn(async () => {});
    harness.deps.sweepRequested = sweeps;
    fileAt(SHA, "links:\n  max_per_source: 2\n", { optional: true });
    const check = checkRun(201, { optional: true });
    await receive(harness.probot, "push", push({ modified: ["README.md"] }));
    await receive(harness.probot, "push", push(undefined, { ref: "refs/heads/feature" }));
    await receive(harness.probot, "push", push(undefined, { deleted: true, after: "0".repeat(40) }));
    await receive(harness.probot, "push", push(undefined, { ref: "refs/tags/v1" }));
    expect(reads).not.toHaveBeenCalled();
    expect(check.body).toBeUndefined();
    expect(sweeps).not.toHaveBeenCalled();
    expect(await harness.database.prisma.configError.count()).toBe(0);
  });

  it("marks the repository's linked issues for their labels to be applied again, and asks for a sweep now", async () => {
    let sweeps = 0;
    harness.deps.sweepRequested = async () => void sweeps++;
    const repository = { id: 186853002n, installationId: 77n, owner: "Codertocat", name: "Hello-World" };
    const issue = { repository, number: 1, githubId: 1n, state: "open" as const };
    const link = {
      provider: "zendesk" as const,
      account: "acme",
      conversationId: "1",
      url: "https://acme.zendesk.com/agent/tickets/1",
    };
    await applySourceChange(harness.database, {
      issue,
      source: { kind: "comment", key: "1" },
      event: { action: "created", version: TEST_NOW },
      links: [link],
      createdAt: TEST_NOW,
    });
    await applySourceChange(harness.database, {
      issue: { ...issue, number: 2 },
      source: { kind: "comment", key: "2" },
      event: { action: "created", version: TEST_NOW },
      links: [],
      createdAt: TEST_NOW,
    });
    fileAt(SHA, "teams:\n  prefix: 'squad: '\n");
    checkRun();
    await receive(harness.probot, "push", push());
    const issues = await harness.database.prisma.issue.findMany({
      orderBy: { number: "asc" },
      select: { number: true, evaluation: { select: { dueAt: true, staleAt: true } } },
    });
    expect(issues.map((row) => [row.number, row.evaluation?.dueAt != null, row.evaluation?.staleAt != null])).toEqual([
      [1, true, true],
    ]);
    expect(sweeps).toBe(1);
  });

  it("logs instead of failing when the installation has not granted checks: write", async () => {
    const { probot, logged } = await loggingProbot(harness.deps);
    fileAt(SHA, "links:\n  max_per_source: 2\n");
    const check = checkRun(403);
    await expect(receive(probot, "push", push())).resolves.toBeUndefined();
    expect(check.body).toMatchObject({ head_sha: SHA, conclusion: "success" });
    expect(logged.filter((line) => line.level !== "info")).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: 'Codertocat/Hello-World: cannot create the "closeloop config" check run (GitHub answered 403); accept the app\'s "Checks: write" permission in the installation settings.',
      }),
    ]);
  });

  it("creates no check run in a dry run, and logs the one it would create", async () => {
    harness.deps.dryRun = true;
    const { probot, logged } = await loggingProbot(harness.deps);
    fileAt(SHA, "links:\n  max_per_source: 2\n");
    const check = checkRun(201, { optional: true });
    await receive(probot, "push", push());
    expect(check.body).toBeUndefined();
    expect(logged.map((line) => line.msg).filter((msg) => msg.startsWith("[dry-run]"))).toEqual([
      '[dry-run] Would create check run "closeloop config" (success) on Codertocat/Hello-World@6113728: .github/closeloop.yml is valid',
    ]);
  });
});
