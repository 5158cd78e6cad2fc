import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { nockConfig, receive, webhookExample } from "../support/github.js";
import { ensureIssue } from "../../src/store/links.js";
import { inTransaction } from "../../src/store/transactions.js";

const ZENDESK = "https://acme.zendesk.com/agent/tickets/4242";
const INSTALLATION = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };

type Payload = Record<string, any>;

function issueEvent(action: string, title: string, updatedAt: string, body: string | null = `See ${ZENDESK}`): Payload {
  const payload = webhookExample<Payload>("issues", action);
  payload.installation = INSTALLATION;
  payload.issue.body = body;
  payload.issue.title = title;
  payload.issue.created_at = "2026-11-19T08:00:00Z";
  payload.issue.updated_at = updatedAt;
  return payload;
}

describe.each(ENGINES)("an issue's title and creation time for the dashboard, on %s", (engine) => {
  let harness: Harness;
  const stored = async () => {
    const issue = await harness.database.prisma.issue.findFirst({ select: { title: true, openedAt: true } });
    return issue && { title: issue.title, openedAt: issue.openedAt?.toISOString() ?? null };
  };

  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => {
    await harness.close();
  });

  it("keeps them from the payload that first links the issue, and follows a title edit", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issues", issueEvent("opened", "Checkout fails", "2026-11-19T08:00:00Z"));
    expect(await stored()).toEqual({ title: "Checkout fails", openedAt: "2026-11-19T08:00:00.000Z" });

    const edited = issueEvent("edited", "Checkout fails on Safari", "2026-11-19T09:00:00Z");
    edited.changes = { title: { from: "Checkout fails" } };
    await receive(harness.probot, "issues", edited);
    expect(await stored()).toEqual({ title: "Checkout fails on Safari", openedAt: "2026-11-19T08:00:00.000Z" });
  });

  it("an older payload processed later does not bring an old title back", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const edited = issueEvent("edited", "New title", "2026-11-19T09:00:00Z");
    edited.changes = { title: { from: "Old title" } };
    await receive(harness.probot, "issues", edited);
    await receive(harness.probot, "issues", issueEvent("opened", "Old title", "2026-11-19T08:00:00Z"));
    expect(await stored()).toEqual({ title: "New title", openedAt: "2026-11-19T08:00:00.000Z" });

    const older = issueEvent("edited", "Older title", "2026-11-19T08:30:00Z");
    older.changes = { title: { from: "Old title" } };
    await receive(harness.probot, "issues", older);
    expect((await stored())?.title).toBe("New title");
  });

  it("follows a title edit of an issue linked only from a comment (the body carries no link)", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const comment = webhookExample<Payload>("issue_comment", "created");
    comment.installation = INSTALLATION;
    comment.comment.body = `See ${ZENDESK}`;
    comment.issue.title = "First";
    comment.issue.created_at = "2026-11-19T08:00:00Z";
    comment.issue.updated_at = "2026-11-19T08:10:00Z";
    await receive(harness.probot, "issue_comment", comment);
    expect(await stored()).toEqual({ title: "First", openedAt: "2026-11-19T08:00:00.000Z" });

    const edited = issueEvent("edited", "Second", "2026-11-19T09:00:00Z", "no links here");
    edited.issue.number = comment.issue.number;
    edited.issue.id = comment.issue.id;
    edited.changes = { title: { from: "First" } };
    await receive(harness.probot, "issues", edited);
    expect(await stored()).toEqual({ title: "Second", openedAt: "2026-11-19T08:00:00.000Z" });
  });

  it("a change whose payload shows no title (a helpdesk note naming the issue) leaves the stored ones alone", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issues", issueEvent("opened", "Checkout fails", "2026-11-19T08:00:00Z"));
    const row = await harness.database.prisma.issue.findFirstOrThrow({ include: { repository: true } });
    const { repository } = row;
    await inTransaction(harness.database.prisma, (tx) =>
      ensureIssue(tx, {
        repository: { id: repository.id, installationId: repository.installationId, owner: "Codertocat", name: "x" },
        number: row.number,
        githubId: row.githubId!,
        state: "open",
      }),
    );
    expect(await stored()).toEqual({ title: "Checkout fails", openedAt: "2026-11-19T08:00:00.000Z" });
  });

  it("an issue closeloop has no links for gets no row from a title edit", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const edited = issueEvent("edited", "Nothing linked", "2026-11-19T09:00:00Z", "no links here");
    edited.changes = { title: { from: "x" } };
    await receive(harness.probot, "issues", edited);
    expect(await harness.database.prisma.issue.count()).toBe(0);
  });
});
