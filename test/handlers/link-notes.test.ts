import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { nockConfig, nockRepositoryInstallation, receive, webhookExample } from "../support/github.js";

const ZENDESK = "https://acme.zendesk.com/agent/tickets/4242";
const FRONT = "https://app.frontapp.com/open/cnv_55c8c149";
const ISSUE_URL = "https://github.com/Codertocat/Hello-World/issues/1";
const DEFAULT_NOTE = `Engineering is tracking this in ${ISSUE_URL} (Spelling error in the README file). This conversation will be reopened when the issue is closed.`;
const INSTALLATION = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };

type Payload = Record<string, any>;

function comment(
  action: "created" | "edited" | "deleted",
  body: string,
  at: { id?: number; updated?: string; issueState?: "open" | "closed" } = {},
): Payload {
  const payload = webhookExample<Payload>("issue_comment", action);
  payload.installation = INSTALLATION;
  payload.comment.body = body;
  if (at.id) payload.comment.id = at.id;
  payload.comment.created_at = "2026-11-20T10:00:00Z";
  payload.comment.updated_at = at.updated ?? payload.comment.created_at;
  if (at.issueState) payload.issue.state = at.issueState;
  return payload;
}

describe.each(ENGINES)("link notes queued by new links, on %s", (engine) => {
  let harness: Harness;
  /** the helpdesks of each wake of the link notes */
  let wakes: string[][];
  /** the lines logged at info and above */
  let logs: string[];
  const notes = () =>
    harness.database.prisma.linkNote.findMany({
      orderBy: { id: "asc" },
      select: {
        id: true,
        provider: true,
        account: true,
        conversationId: true,
        url: true,
        note: true,
        state: true,
        skipped: true,
        createdAt: true,
      },
    });

  beforeEach(async () => {
    logs = [];
    harness = await startHarness(engine, {
      log: pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line).msg) }),
    });
    wakes = [];
    harness.deps.linkNotesQueued = (helpdesks) => void wakes.push([...helpdesks]);
  });
  afterEach(async () => {
    await harness.close();
  });

  it("queues one note per conversation a comment links for the first time, rendered from notify.note, and wakes the link notes for their helpdesks", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const created = comment("created", `Customer hit this: ${ZENDESK} and ${FRONT}`);
    await receive(harness.probot, "issue_comment", created);
    // One line for the delivery: its links and the notes they queued.
    expect(logs).toEqual([
      `Codertocat/Hello-World#1 comment ${created.comment.id}: 2 link(s) added, 0 removed; 2 link note(s) queued`,
    ]);
    expect((await notes()).map(({ id: _, createdAt: __, ...row }) => row)).toEqual([
      {
        provider: "zendesk",
        account: "acme",
        conversationId: "4242",
        url: ZENDESK,
        note: DEFAULT_NOTE,
        state: "pending",
        skipped: null,
      },
      {
        provider: "front",
        account: "",
        conversationId: "cnv_55c8c149",
        url: FRONT,
        note: DEFAULT_NOTE,
        state: "pending",
        skipped: null,
      },
    ]);
    expect(wakes).toEqual([["zendesk", "front"]]);
  });

  it("queues nothing more on a redelivery, an edit, or a second comment with the same URL", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const created = comment("created", `See ${ZENDESK}`);
    await receive(harness.probot, "issue_comment", created, "delivery-1");
    const first = await notes();
    expect(first).toHaveLength(1);

    await receive(harness.probot, "issue_comment", created, "delivery-1");
    const edited = comment("edited", `See ${ZENDESK}, customer wrote again`, { updated: "2026-11-20T11:00:00Z" });
    edited.changes = { body: { from: created.comment.body } };
    await receive(harness.probot, "issue_comment", edited);
    await receive(harness.probot, "issue_comment", comment("created", `Another one: ${ZENDESK}`, { id: 555 }));
    await receive(
      harness.probot,
      "issues",
      Object.assign(
        webhookExample<Payload>("issues", "opened"),
        { installation: INSTALLATION },
        { issue: { ...webhookExample<Payload>("issues", "opened").issue, body: ZENDESK } },
      ),
    );
    expect(await notes()).toEqual(first);
    expect(wakes).toEqual([["zendesk"]]);
  });

  it("notes a link removed and pasted again only once; one removed before its note went out is queued again", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK} ${FRONT}`));
    // The worker sent Zendesk's note, and found Front's link gone when its turn came.
    await harness.database.prisma.linkNote.updateMany({
      where: { provider: "zendesk" },
      data: { state: "done", sentAt: new Date() },
    });
    await harness.database.prisma.linkNote.updateMany({
      where: { provider: "front" },
      data: { state: "done", skipped: "link removed" },
    });

    const removed = comment("edited", "no links now", { updated: "2026-11-20T11:00:00Z" });
    removed.changes = { body: { from: `${ZENDESK} ${FRONT}` } };
    await receive(harness.probot, "issue_comment", removed);
    expect(await harness.database.prisma.link.count()).toBe(0);
    const back = comment("edited", `back: ${ZENDESK} ${FRONT}`, { updated: "2026-11-20T12:00:00Z" });
    back.changes = { body: { from: "no links now" } };
    await receive(harness.probot, "issue_comment", back);
    expect(await harness.database.prisma.link.count()).toBe(2);
    expect((await notes()).map((row) => `${row.provider} ${row.state} ${row.skipped}`)).toEqual([
      "zendesk done null",
      "front pending null",
    ]);
  });

  it("queues nothing with notify.linked: false, and renders a custom notify.note (naming the issue when it leaves {url} out)", async () => {
    nockConfig("Codertocat", "Hello-World", "notify:\n  linked: false\n");
    const created = comment("created", `See ${ZENDESK}`);
    await receive(harness.probot, "issue_comment", created);
    expect(await harness.database.prisma.link.count()).toBe(1);
    expect(await notes()).toEqual([]);
    expect(wakes).toEqual([]);
    expect(logs).toEqual([`Codertocat/Hello-World#1 comment ${created.comment.id}: 1 link(s) added, 0 removed`]);

    const custom = await startHarness(engine);
    try {
      nockConfig("Codertocat", "Hello-World", 'notify:\n  note: "Bug filed: {repository}#{number}"\n');
      await receive(custom.probot, "issue_comment", comment("created", `See ${ZENDESK}`));
      expect(await custom.database.prisma.linkNote.findMany({ select: { note: true } })).toEqual([
        { note: `Bug filed: Codertocat/Hello-World#1 (GitHub issue: ${ISSUE_URL})` },
      ]);
    } finally {
      await custom.close();
    }
  });

  it("queues nothing for a link made on a closed issue: no reopen will follow to make the note true", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `See ${ZENDESK}`, { issueState: "closed" }));
    expect(await harness.database.prisma.link.count()).toBe(1);
    expect(await notes()).toEqual([]);
  });

  it("keeps one note per conversation when an issue is transferred onto a row an early event made for it", async () => {
    const transferred = webhookExample<Payload>("issues", "transferred");
    transferred.installation = INSTALLATION;
    const { new_repository: to, new_issue: toIssue } = transferred.changes;
    const [owner, name] = (transferred.repository.full_name as string).split("/") as [string, string];
    const [toOwner, toName] = (to.full_name as string).split("/") as [string, string];
    nockConfig(owner, name, null);
    nockConfig(toOwner, toName, null);
    nockRepositoryInstallation(toOwner, toName, INSTALLATION.id);
    const opened = Object.assign(webhookExample<Payload>("issues", "opened"), {
      installation: INSTALLATION,
      repository: transferred.repository,
    });
    opened.issue = {
      ...opened.issue,
      number: transferred.issue.number,
      body: ZENDESK,
      created_at: "2026-11-19T08:00:00Z",
      updated_at: "2026-11-19T08:00:00Z",
    };
    await receive(harness.probot, "issues", opened);
    // A comment at the destination, processed before the transfer: its row has notes of its own.
    const early = comment("created", `${ZENDESK} ${FRONT}`, { id: 777 });
    Object.assign(early, { repository: to });
    early.issue = {
      ...early.issue,
      number: toIssue.number,
      id: toIssue.id,
      html_url: toIssue.html_url,
      title: toIssue.title,
    };
    await receive(harness.probot, "issue_comment", early);
    expect((await notes()).map((row) => row.provider)).toEqual(["zendesk", "zendesk", "front"]);

    await receive(harness.probot, "issues", transferred);
    const rows = await harness.database.prisma.linkNote.findMany({
      orderBy: { id: "asc" },
      select: { provider: true, issue: { select: { number: true, repositoryId: true } } },
    });
    expect(rows).toEqual([
      { provider: "zendesk", issue: { number: toIssue.number, repositoryId: BigInt(to.id) } },
      { provider: "front", issue: { number: toIssue.number, repositoryId: BigInt(to.id) } },
    ]);
  });

  it("queues nothing for an author closeloop does not read links from", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const stranger = comment("created", `See ${ZENDESK}`);
    stranger.comment.author_association = "NONE";
    await receive(harness.probot, "issue_comment", stranger);
    expect(await notes()).toEqual([]);
  });
});
