import { beforeEach, describe, expect, it } from "vitest";
import { Probot, ProbotOctokit } from "probot";
import { closeloopApp } from "../../src/app.js";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import type { HandlerDeps } from "../../src/handlers/deps.js";
import { RepositoryPermissions } from "../../src/github/permissions.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import type { Database } from "../../src/store/database.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { TEST_APP_ID } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { nockConfig, receive, webhookExample } from "../support/github.js";
import type { IssueRef } from "../../src/domain/refs.js";
import { GithubMemory } from "../../src/github/memory.js";
import { captureLogs, useDatabase } from "../support/use-database.js";

type Payload = Record<string, any>;

const REPOSITORY = { id: 186853002n, installationId: 77n, owner: "Codertocat", name: "Hello-World" };
const ISSUE: IssueRef = { repository: REPOSITORY, number: 1, githubId: 444500041n, state: "open" };
const LINKS = [
  {
    provider: "zendesk" as const,
    account: "acme",
    conversationId: "4242",
    url: "https://acme.zendesk.com/agent/tickets/4242",
  },
  {
    provider: "intercom" as const,
    account: "abc123",
    conversationId: "215468",
    url: "https://app.intercom.com/a/inbox/abc123/inbox/conversation/215468",
  },
  {
    provider: "front" as const,
    account: "",
    conversationId: "cnv_55c8c149",
    url: "https://app.frontapp.com/open/cnv_55c8c149",
  },
];

/** `issues.closed` (the examples have none, so the `reopened` one is turned around) or `issues.reopened`. */
function issueEvent(action: "closed" | "reopened", at: string, stateReason: string | null = "completed"): Payload {
  const payload = webhookExample<Payload>("issues", "reopened");
  payload.action = action;
  payload.installation = { id: 77, node_id: "x" };
  payload.issue.id = 444500041;
  payload.issue.state = action === "closed" ? "closed" : "open";
  payload.issue.state_reason = action === "closed" ? stateReason : "reopened";
  payload.issue.closed_at = action === "closed" ? at : null;
  payload.issue.updated_at = at;
  return payload;
}

async function seedLinks(database: Database, links = LINKS, comment = "1001"): Promise<void> {
  await applySourceChange(database, {
    issue: ISSUE,
    source: { kind: "comment", key: comment },
    event: { action: "created", version: new Date("2026-11-20T10:00:00Z") },
    createdAt: new Date("2026-11-20T10:00:00Z"),
    links,
  });
}

describe.each(ENGINES)("closing an issue enqueues reopen jobs (the outbox) on %s", (engine) => {
  const database = useDatabase(engine);
  let probot: Probot;
  const { log, messages: logs } = captureLogs("info");
  let wakes: number;

  const jobs = () =>
    database.prisma.reopenJob.findMany({
      orderBy: { id: "asc" },
      select: {
        closeId: true,
        provider: true,
        account: true,
        conversationId: true,
        url: true,
        state: true,
        attempts: true,
        noteDoneAt: true,
        lockedUntil: true,
      },
    });
  const closes = () =>
    database.prisma.issueClose.findMany({
      orderBy: { id: "asc" },
      select: { id: true, reason: true, closedAt: true, note: true, summary: true, summaryDueAt: true },
    });

  beforeEach(async () => {
    wakes = 0;
    probot = new Probot({
      appId: TEST_APP_ID,
      githubToken: "test-token",
      log,
      Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
    });
    const deps: HandlerDeps = {
      prisma: database.prisma,
      repositoryRows: database.repositoryRows,
      configs: new RepoConfigCache(database, log),
      memory: new GithubMemory(),
      matchers: urlMatchers,
      appId: TEST_APP_ID,
      permissions: new RepositoryPermissions(),
      githubApp: () => probot.auth(),
      reopenQueued: () => void wakes++,
    };
    await probot.load(closeloopApp(deps));
  });

  it("records the close and one pending job per live link, with the rendered note, in one go", async () => {
    await seedLinks(database);
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));

    const [close] = await closes();
    expect(close).toEqual({
      id: expect.any(Number),
      reason: "completed",
      closedAt: new Date("2026-11-21T12:00:00Z"),
      note: "The GitHub issue https://github.com/Codertocat/Hello-World/issues/1 linked to this conversation was closed (completed). Follow up with the customer.",
      summary: true,
      summaryDueAt: null,
    });
    expect(await jobs()).toEqual(
      LINKS.map((link) => ({
        closeId: close!.id,
        ...link,
        state: "pending",
        attempts: 0,
        noteDoneAt: null,
        lockedUntil: null,
      })),
    );
    const issue = await database.prisma.issue.findFirstOrThrow({
      select: { state: true, stateReason: true, closedAt: true },
    });
    expect(issue).toEqual({ state: "closed", stateReason: "completed", closedAt: new Date("2026-11-21T12:00:00Z") });
    expect(wakes).toBe(1);
    expect(logs).toContain("Codertocat/Hello-World#1 closed as completed: 3 linked conversation(s) to reopen");
  });

  it("enqueues nothing new when the same close is delivered again", async () => {
    await seedLinks(database);
    nockConfig("Codertocat", "Hello-World", null);
    const closed = issueEvent("closed", "2026-11-21T12:00:00Z");
    await receive(probot, "issues", closed, "delivery-1");
    await receive(probot, "issues", closed, "delivery-1");
    await receive(probot, "issues", closed, "delivery-2");

    expect(await closes()).toHaveLength(1);
    expect(await jobs()).toHaveLength(3);
    expect(wakes).toBe(1);
    expect(
      logs.filter(
        (line) =>
          line === "Codertocat/Hello-World#1: this close was recorded before (a redelivery); nothing new to reopen",
      ),
    ).toHaveLength(2);
  });

  it("enqueues again when the issue is closed again after a reopen, for the links that still live", async () => {
    await seedLinks(database, LINKS.slice(0, 2), "1001");
    await seedLinks(database, LINKS.slice(2), "1002");
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    // While closed, the comment carrying Front's link is deleted: the link stays as history, but no source carries it.
    await applySourceChange(database, {
      issue: ISSUE,
      source: { kind: "comment", key: "1002" },
      event: { action: "deleted", version: new Date("2026-11-20T10:00:00Z"), at: new Date("2026-11-21T18:00:00Z") },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links: LINKS.slice(2),
    });
    await receive(probot, "issues", issueEvent("reopened", "2026-11-22T09:00:00Z"));
    await receive(probot, "issues", issueEvent("closed", "2026-11-23T09:00:00Z", "not_planned"));

    const [first, second] = await closes();
    expect([first?.reason, second?.reason]).toEqual(["completed", "not_planned"]);
    expect(second?.note).toContain("was closed (not planned).");
    const rows = await jobs();
    expect(rows.map((job) => `${job.closeId === first!.id ? 1 : 2}:${job.provider}`)).toEqual([
      "1:zendesk",
      "1:intercom",
      "1:front",
      "2:zendesk",
      "2:intercom",
    ]);
    expect(wakes).toBe(2);
  });

  it("ignores a reopen older than the stored close (out of order), so the issue stays closed", async () => {
    await seedLinks(database);
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("closed", "2026-11-23T09:00:00Z"));
    await receive(probot, "issues", issueEvent("reopened", "2026-11-22T09:00:00Z"));
    expect(await database.prisma.issue.findFirstOrThrow({ select: { state: true } })).toEqual({ state: "closed" });
    expect(logs).toContain("Codertocat/Hello-World#1: reopened before its latest close; the issue stays closed");
  });

  it("records a close for a reason outside reopen.on, reopens nothing, and says so", async () => {
    await seedLinks(database);
    nockConfig("Codertocat", "Hello-World", "reopen:\n  on: [completed]\n");
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z", "not_planned"));

    expect(
      await database.prisma.issueClose.findMany({ select: { reason: true, reopen: true, closedBy: true } }),
    ).toEqual([{ reason: "not_planned", reopen: false, closedBy: "Codertocat" }]);
    expect(await jobs()).toEqual([]);
    expect(await database.prisma.issue.findFirstOrThrow({ select: { state: true, stateReason: true } })).toEqual({
      state: "closed",
      stateReason: "not_planned",
    });
    expect(logs).toContain(
      "Codertocat/Hello-World#1 closed as not_planned, which is not in reopen.on (completed); linked conversations are not reopened",
    );
    expect(wakes).toBe(0);
  });

  it("reads a close without state_reason (older GitHub Enterprise) as completed", async () => {
    await seedLinks(database, LINKS.slice(0, 1));
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z", null));
    expect((await closes()).map((close) => close.reason)).toEqual(["completed"]);
    expect(await jobs()).toHaveLength(1);
  });

  it("snapshots the repository's note template, summary, details and closed-ticket settings, and records its visibility", async () => {
    await seedLinks(database, LINKS.slice(0, 1));
    nockConfig(
      "Codertocat",
      "Hello-World",
      'reopen:\n  note: "{repository}#{number} ({title}) is fixed: {url}"\n  closed_tickets: skip\ncomment:\n  summary: false\n  details: always\n',
    );
    const event = issueEvent("closed", "2026-11-21T12:00:00Z");
    event.repository.private = true;
    await receive(probot, "issues", event);
    expect((await closes()).map(({ note, summary }) => ({ note, summary }))).toEqual([
      {
        note: "Codertocat/Hello-World#1 (Spelling error in the README file) is fixed: https://github.com/Codertocat/Hello-World/issues/1",
        summary: false,
      },
    ]);
    expect(await database.prisma.issueClose.findMany({ select: { details: true, closedTickets: true } })).toEqual([
      { details: "always", closedTickets: "skip" },
    ]);
    // The summary's details follow the latest payload's visibility (docs/reopen.md, Summary comment).
    expect(await database.prisma.repository.findMany({ select: { private: true } })).toEqual([{ private: true }]);
  });

  it("names the issue in a custom reopen note that leaves {url} out, so the rep can follow it", async () => {
    await seedLinks(database, LINKS.slice(0, 1));
    nockConfig("Codertocat", "Hello-World", 'reopen:\n  note: "Fixed in the next release ({title})."\n');
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    expect((await closes()).map(({ note }) => note)).toEqual([
      "Fixed in the next release (Spelling error in the README file). (GitHub issue: https://github.com/Codertocat/Hello-World/issues/1)",
    ]);
  });

  it("records the close of an issue it has not seen, with its reason, closer and note settings", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    expect(
      await database.prisma.issueClose.findMany({
        select: { reason: true, reopen: true, closedBy: true, closedAt: true, summary: true, closedTickets: true },
      }),
    ).toEqual([
      {
        reason: "completed",
        reopen: true,
        closedBy: "Codertocat",
        closedAt: new Date("2026-11-21T12:00:00Z"),
        summary: true,
        closedTickets: "follow_up",
      },
    ]);
    expect(await jobs()).toEqual([]);
    expect(await database.prisma.issue.findFirstOrThrow({ select: { state: true } })).toEqual({ state: "closed" });
    expect(wakes).toBe(0);
  });

  it("gives a close processed before its comments a job for each conversation posted before it, and none for one posted after", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    await seedLinks(database, LINKS.slice(0, 2), "1001");
    await applySourceChange(database, {
      issue: ISSUE,
      source: { kind: "comment", key: "1003" },
      event: { action: "created", version: new Date("2026-11-21T12:00:01Z") },
      createdAt: new Date("2026-11-21T12:00:01Z"),
      links: LINKS.slice(2),
    });
    const [close] = await closes();
    expect(
      (await jobs()).map((job) => `${job.closeId === close!.id ? "close" : "?"}:${job.provider}:${job.state}`),
    ).toEqual(["close:zendesk:pending", "close:intercom:pending"]);
    expect((await database.prisma.link.findMany({ orderBy: { id: "asc" } })).map((link) => link.provider)).toEqual([
      "zendesk",
      "intercom",
      "front",
    ]);
  });

  it("keeps a reopen processed before the close it follows, and a close processed after a later reopen, in GitHub's order", async () => {
    await seedLinks(database);
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("reopened", "2026-11-22T09:00:00Z"));
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    expect(await database.prisma.issue.findFirstOrThrow({ select: { state: true, reopenedAt: true } })).toEqual({
      state: "open",
      reopenedAt: new Date("2026-11-22T09:00:00Z"),
    });
    // The close still happened: its conversations are reopened.
    expect(await jobs()).toHaveLength(3);
  });

  it("withdraws a pending job when an edit processed late shows the link was gone before the close", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await seedLinks(database, LINKS.slice(0, 2), "1001");
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    expect(await jobs()).toHaveLength(2);
    await applySourceChange(database, {
      issue: ISSUE,
      source: { kind: "comment", key: "1001" },
      event: { action: "edited", version: new Date("2026-11-21T08:00:00Z") },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links: LINKS.slice(0, 1),
      previous: LINKS.slice(0, 2),
    });
    expect((await jobs()).map((job) => job.provider)).toEqual(["zendesk"]);
    // Its summary waits for the job left; once that is withdrawn too, the close reopens nothing and gets no summary.
    expect((await closes())[0]?.summaryDueAt).not.toBeNull();
    await applySourceChange(database, {
      issue: ISSUE,
      source: { kind: "comment", key: "1001" },
      event: { action: "edited", version: new Date("2026-11-21T09:00:00Z") },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links: [],
      previous: LINKS.slice(0, 1),
    });
    expect(await jobs()).toEqual([]);
    expect((await closes())[0]?.summaryDueAt).toBeNull();
  });
});
