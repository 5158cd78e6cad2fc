import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nock from "nock";
import pino from "pino";
import type { IssueRef } from "../../src/domain/refs.js";
import { CANONICAL_ISSUE_QUERY } from "../../src/github/duplicates.js";
import type { Probot } from "probot";
import type { Database } from "../../src/store/database.js";
import { listIssueLinks } from "../../src/store/links.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { startHarness, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { GITHUB_API, nockConfig, receive, webhookExample } from "../support/github.js";

/**
 * README, Engineers: an issue closed as a duplicate hands its linked conversations to the issue it duplicates (named
 * by GitHub's `marked_as_duplicate` timeline event), so they are reopened when that one closes; reopening the
 * duplicate takes them back. The GitHub calls are exact: one GraphQL query, and the closer's permission when needed.
 */

type Payload = Record<string, any>;

const REPOSITORY = { id: 186853002n, installationId: 77n, owner: "Codertocat", name: "Hello-World" };
const DUPLICATE: IssueRef = { repository: REPOSITORY, number: 1, githubId: 444500041n, state: "open" };
const REPORTED = new Date("2026-11-20T10:00:00Z");
const LINKS = [
  {
    provider: "zendesk" as const,
    account: "acme",
    conversationId: "4242",
    url: "https://acme.zendesk.com/agent/tickets/4242",
  },
  {
    provider: "front" as const,
    account: "",
    conversationId: "cnv_55c8c149",
    url: "https://app.frontapp.com/open/cnv_55c8c149",
  },
];
const MALLORY = { login: "mallory", id: 666 };

/** `issues.closed` / `issues.reopened` of issue `number` (the examples have no close: the `reopened` one is turned). */
function issueEvent(
  action: "closed" | "reopened",
  at: string,
  {
    number = 1,
    id = 444500041,
    reason = "duplicate",
    sender,
  }: { number?: number; id?: number; reason?: string; sender?: { login: string; id: number } } = {},
): Payload {
  const payload = webhookExample<Payload>("issues", "reopened");
  payload.action = action;
  payload.installation = { id: 77, node_id: "x" };
  payload.issue.number = number;
  payload.issue.id = id;
  payload.issue.html_url = `https://github.com/Codertocat/Hello-World/issues/${number}`;
  payload.issue.state = action === "closed" ? "closed" : "open";
  payload.issue.state_reason = action === "closed" ? reason : "reopened";
  payload.issue.closed_at = action === "closed" ? at : null;
  payload.issue.updated_at = at;
  if (sender) payload.sender = { ...payload.sender, ...sender, type: "User" };
  return payload;
}

/** GitHub's answer naming #2 as the issue #1 duplicates (or `nodes` as given: none, or a mark taken back). */
function nockCanonical(nodes: unknown[] = [markedAsDuplicateOf(2)]) {
  nock(GITHUB_API)
    .post("/graphql", {
      query: CANONICAL_ISSUE_QUERY,
      variables: { owner: "Codertocat", name: "Hello-World", number: 1 },
    })
    .reply(200, { data: { repository: { issue: { timelineItems: { nodes } } } } });
}

/** The real fix: #2 closed as completed. */
function fixClosed(): Payload {
  return issueEvent("closed", "2026-11-25T09:00:00Z", { number: 2, id: 444500042, reason: "completed" });
}

function markedAsDuplicateOf(number: number) {
  return {
    __typename: "MarkedAsDuplicateEvent",
    canonical: {
      __typename: "Issue",
      number,
      databaseId: 444500042,
      id: "I_kwDOBFBgeM4AAAAB",
      state: "OPEN",
      repository: { nameWithOwner: "Codertocat/Hello-World" },
    },
  };
}

describe.each(ENGINES)("closing an issue as a duplicate, on %s", (engine) => {
  let harness: Harness;
  let database: Database;
  let probot: Probot;
  let logs: string[];

  const linksOf = async (number: number) =>
    ((await listIssueLinks(database.prisma, "codertocat/hello-world", number)) ?? []).map((link) => ({
      conversation: `${link.provider}:${link.conversationId}`,
      source: link.source,
      linkedAt: link.linkedAt.toISOString(),
    }));
  const reopenJobs = async () =>
    (
      await database.prisma.reopenJob.findMany({
        orderBy: { id: "asc" },
        select: { conversationId: true, close: { select: { issue: { select: { number: true } } } } },
      })
    ).map((job) => `#${job.close.issue.number} ${job.conversationId}`);

  beforeEach(async () => {
    logs = [];
    harness = await startHarness(engine, {
      log: pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line).msg) }),
    });
    ({ database, probot } = harness);
    await applySourceChange(database, {
      issue: DUPLICATE,
      source: { kind: "comment", key: "1001" },
      event: { action: "created", version: REPORTED },
      createdAt: REPORTED,
      links: LINKS,
    });
  });
  afterEach(async () => {
    await harness.close();
  });

  it("moves the links to the issue it duplicates, dated as reported, and that issue's close reopens them", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    nockCanonical();
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));

    const carried = LINKS.map((link) => ({
      conversation: `${link.provider}:${link.conversationId}`,
      source: "duplicate",
      linkedAt: REPORTED.toISOString(),
    }));
    expect(await linksOf(2)).toEqual(carried);
    // The duplicate keeps them as its close's history; a duplicate close reopens nothing itself.
    expect((await linksOf(1)).map((link) => link.conversation)).toEqual(carried.map((link) => link.conversation));
    expect(await reopenJobs()).toEqual([]);
    expect(logs).toContain(
      "Codertocat/Hello-World#1 closed as a duplicate of Codertocat/Hello-World#2: its 2 linked conversation(s) now follow Codertocat/Hello-World#2 (2 new there)",
    );

    // The real fix closes: those customers are reopened, with #2's note.
    await receive(probot, "issues", fixClosed());
    expect(await reopenJobs()).toEqual(["#2 4242", "#2 cnv_55c8c149"]);
  });

  it("a redelivered close moves nothing twice", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    nockCanonical();
    nockCanonical();
    const event = issueEvent("closed", "2026-11-21T12:00:00Z");
    await receive(probot, "issues", event, "delivery-1");
    await receive(probot, "issues", event, "delivery-1");
    expect((await linksOf(2)).length).toBe(2);
    expect(await database.prisma.source.count({ where: { kind: "duplicate" } })).toBe(2);
  });

  it("leaves the links where they are when GitHub names no issue it duplicates (closed without reopening)", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    nockCanonical([]);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    expect(await linksOf(2)).toEqual([]);
    expect((await linksOf(1)).length).toBe(2);
    expect(await reopenJobs()).toEqual([]);
    expect(logs).toContain(
      "Codertocat/Hello-World#1 closed as a duplicate without naming an issue it duplicates; its 2 link(s) stay on it and nothing is reopened",
    );
  });

  it("follows the newest mark: one taken back names nothing", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    nockCanonical([{ __typename: "UnmarkedAsDuplicateEvent" }]);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    expect(await linksOf(2)).toEqual([]);
  });

  it("moves nothing for a closer without reopen.by, and asks GitHub nothing more", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    nock(GITHUB_API)
      .get("/repos/Codertocat/Hello-World/collaborators/mallory/permission")
      .reply(200, { permission: "read", role_name: "read", user: { login: "mallory" } });
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z", { sender: MALLORY }));
    expect(await linksOf(2)).toEqual([]);
    expect(logs).toContain(
      "Codertocat/Hello-World#1 closed as a duplicate: closed by mallory, whose permission on the repository is read, less than reopen.by (triage); its 2 link(s) stay on it",
    );
  });

  it("makes no GitHub call for a duplicate without links", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z", { number: 3, id: 444500043 }));
    expect(await linksOf(2)).toEqual([]);
  });

  it("takes the links back when the duplicate is reopened, so the other issue's close no longer reopens them", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    nockCanonical();
    await receive(probot, "issues", issueEvent("closed", "2026-11-21T12:00:00Z"));
    await receive(probot, "issues", issueEvent("reopened", "2026-11-22T08:00:00Z"));
    expect(await linksOf(2)).toEqual([]);
    expect(logs).toContain(
      "Codertocat/Hello-World#1 reopened: the 2 link(s) it carried to the issue it duplicates are taken back (2 removed there)",
    );
    await receive(probot, "issues", fixClosed());
    expect(await reopenJobs()).toEqual([]);
  });
});
