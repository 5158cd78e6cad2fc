import nock from "nock";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { refusals } from "../../src/metrics.js";
import { listIssueLinks } from "../../src/store/links.js";
import { startHarness, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { GITHUB_API, nockConfig, receive, webhookExample } from "../support/github.js";

const ZENDESK = "https://acme.zendesk.com/agent/tickets/4242";
const INTERCOM = "https://app.intercom.com/a/inbox/abc123/inbox/conversation/215468";
const FRONT = "https://app.frontapp.com/open/cnv_55c8c149";
const REPO = "Codertocat/Hello-World";
const INSTALLATION = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };

type Payload = Record<string, any>;

/**
 * How GitHub shows a text written by an app: `performed_via_github_app` names the app, and `user` is the app's bot
 * account (`<slug>[bot]`, type Bot) when the app wrote as itself, or the person when they wrote through the app with
 * their own token. Both from real payloads: a check suite's app and the bot that re-requested it.
 */
function appAuthor(as: "bot" | "person"): { user?: Payload; performed_via_github_app: Payload } {
  const example = webhookExample<Payload>("check_suite", "rerequested");
  // Newer payloads carry the app's slug; this example predates it.
  const app = { ...example.check_suite.app, slug: "octocoders-linter" };
  return as === "bot" ? { user: example.sender, performed_via_github_app: app } : { performed_via_github_app: app };
}

/** A comment by someone whose association with the repository is `association` (the example's author is its OWNER). */
function comment(
  action: "created" | "edited" | "deleted",
  body: string,
  association: string,
  extra: { id?: number; app?: "bot" | "person"; at?: string } = {},
): Payload {
  const payload = webhookExample<Payload>("issue_comment", action);
  payload.installation = INSTALLATION;
  payload.comment.body = body;
  payload.comment.author_association = association;
  payload.comment.id = extra.id ?? 5001;
  payload.comment.created_at = "2026-11-20T10:00:00Z";
  payload.comment.updated_at = extra.at ?? "2026-11-20T10:00:00Z";
  if (extra.app !== undefined) Object.assign(payload.comment, appAuthor(extra.app));
  if (action === "edited") payload.changes = { body: { from: "no links yet" } };
  return payload;
}

/** An issue opened or edited by its author, as `comment` does for comments. */
function issueBody(action: "opened" | "edited", body: string, association: string, app?: "bot" | "person"): Payload {
  const payload = webhookExample<Payload>("issues", action);
  payload.installation = INSTALLATION;
  payload.issue.body = body;
  payload.issue.author_association = association;
  payload.issue.created_at = "2026-11-19T08:00:00Z";
  payload.issue.updated_at = action === "edited" ? "2026-11-19T09:00:00Z" : "2026-11-19T08:00:00Z";
  if (app !== undefined) Object.assign(payload.issue, appAuthor(app));
  if (action === "edited") payload.changes = { body: { from: "no links yet" } };
  return payload;
}

/** `issues.closed` by `sender` (the examples have none: the `reopened` one is turned around). */
function closed(at: string, sender: { login: string; id: number; type?: string }): Payload {
  const payload = webhookExample<Payload>("issues", "reopened");
  payload.action = "closed";
  payload.installation = INSTALLATION;
  Object.assign(payload.issue, { state: "closed", state_reason: "completed", closed_at: at, updated_at: at });
  payload.sender = { ...payload.sender, login: sender.login, id: sender.id, type: sender.type ?? "User" };
  return payload;
}

function reopened(at: string): Payload {
  const payload = webhookExample<Payload>("issues", "reopened");
  payload.installation = INSTALLATION;
  payload.issue.updated_at = at;
  return payload;
}

function nockPermission(login: string, reply: number | { permission: string; role_name: string }) {
  const scope = nock(GITHUB_API).get(
    `/repos/Codertocat/Hello-World/collaborators/${encodeURIComponent(login)}/permission`,
  );
  if (typeof reply === "number") scope.reply(reply, { message: reply === 404 ? "Not Found" : "Server Error" });
  else scope.reply(200, { ...reply, user: { login } });
}

const MALLORY = { login: "mallory", id: 666 };
const refused = async (reason: string) =>
  (await refusals.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
const TESSA = { login: "tessa", id: 777 };

describe.each(ENGINES)("who may link and who may reopen, on %s", (engine) => {
  let harness: Harness;
  let logs: { level: number; msg: string }[];

  const links = async () =>
    ((await listIssueLinks(harness.database.prisma, REPO, 1)) ?? []).map(
      (link) => `${link.provider}:${link.conversationId}`,
    );
  // What would reach a helpdesk later: a read for labels (enrichment) or a link note.
  const rows = async () => ({
    sources: await harness.database.prisma.source.count(),
    links: await harness.database.prisma.link.count(),
    enrichment: await harness.database.prisma.enrichJob.count(),
    linkNotes: await harness.database.prisma.linkNote.count(),
  });
  const closes = () =>
    harness.database.prisma.issueClose.findMany({
      orderBy: { closedAt: "asc" },
      select: { closedBy: true, reopen: true, refusal: true, jobs: { select: { conversationId: true } } },
    });

  beforeEach(async () => {
    logs = [];
    const log = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    harness = await startHarness(engine, { log });
  });
  afterEach(async () => {
    await harness.close();
  });

  it("ignores a link posted, edited in and deleted by someone the repository does not trust: no link, no helpdesk read, no row", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const before = await refused("untrusted_author");
    await receive(harness.probot, "issue_comment", comment("created", `Please look: ${ZENDESK}`, "NONE"));
    await receive(
      harness.probot,
      "issue_comment",
      comment("edited", `Please look: ${ZENDESK} ${FRONT}`, "NONE", { at: "2026-11-20T11:00:00Z" }),
    );
    await receive(
      harness.probot,
      "issue_comment",
      comment("deleted", `Please look: ${ZENDESK} ${FRONT}`, "NONE", { at: "2026-11-20T11:00:00Z" }),
    );
    await receive(harness.probot, "issue_comment", comment("created", `Also ${INTERCOM}`, "CONTRIBUTOR", { id: 5002 }));

    expect(await rows()).toEqual({ sources: 0, links: 0, enrichment: 0, linkNotes: 0 });
    expect(logs.filter((line) => line.msg.includes("not read for links")).map((line) => line.msg)).toEqual([
      "Codertocat/Hello-World#1 comment 5001: not read for links: its author's association with the repository is none, not one of links.from (owner, member, collaborator)",
      "Codertocat/Hello-World#1 comment 5001: not read for links: its author's association with the repository is none, not one of links.from (owner, member, collaborator)",
      "Codertocat/Hello-World#1 comment 5002: not read for links: its author's association with the repository is contributor, not one of links.from (owner, member, collaborator)",
    ]);
    // Counted under a fixed reason: the create, the edit and the other comment tried to link; the delete ends nothing.
    expect((await refused("untrusted_author")) - before).toBe(3);
  });

  it("reads a comment an app installed on the repository wrote as itself, and the associations links.from names", async () => {
    nockConfig("Codertocat", "Hello-World", "links:\n  from: [MEMBER, contributor]\n");
    await receive(
      harness.probot,
      "issue_comment",
      comment("created", `From the helpdesk: ${ZENDESK}`, "NONE", { app: "bot" }),
    );
    await receive(harness.probot, "issue_comment", comment("created", `Also ${INTERCOM}`, "CONTRIBUTOR", { id: 5002 }));
    await receive(harness.probot, "issue_comment", comment("created", `And ${FRONT}`, "COLLABORATOR", { id: 5003 }));

    expect(await links()).toEqual(["zendesk:4242", "intercom:215468"]);
    expect(await rows()).toMatchObject({ links: 2, enrichment: 2, linkNotes: 2 });
  });

  it("judges a person writing through an app by their own association: a stranger's body, comment and edits store nothing", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const before = await refused("untrusted_author");
    await receive(harness.probot, "issues", issueBody("opened", `Customer: ${INTERCOM}`, "NONE", "person"));
    await receive(harness.probot, "issues", issueBody("edited", `Customer: ${INTERCOM} ${FRONT}`, "NONE", "person"));
    await receive(
      harness.probot,
      "issue_comment",
      comment("created", `Customer: ${ZENDESK}`, "NONE", { app: "person" }),
    );
    await receive(
      harness.probot,
      "issue_comment",
      comment("edited", `Customer: ${ZENDESK} ${FRONT}`, "NONE", { app: "person", at: "2026-11-20T11:00:00Z" }),
    );
    // A triager's close afterwards has nothing to reopen.
    nockPermission("tessa", { permission: "read", role_name: "triage" });
    await receive(harness.probot, "issues", closed("2026-11-21T12:00:00Z", TESSA));

    expect(await rows()).toEqual({ sources: 0, links: 0, enrichment: 0, linkNotes: 0 });
    expect(await closes()).toEqual([{ closedBy: "tessa", reopen: true, refusal: null, jobs: [] }]);
    expect((await refused("untrusted_author")) - before).toBe(4);
    expect(logs.map((line) => line.msg)).toContain(
      "Codertocat/Hello-World#1 comment 5001: not read for links: its author's association with the repository is none, not one of links.from (owner, member, collaborator); it was written through the app octocoders-linter, which does not make it the app's",
    );
  });

  it("reads what a trusted person wrote through an app, even with links.apps empty", async () => {
    nockConfig("Codertocat", "Hello-World", "links:\n  apps: []\n");
    await receive(harness.probot, "issues", issueBody("opened", `Customer: ${INTERCOM}`, "MEMBER", "person"));
    await receive(
      harness.probot,
      "issue_comment",
      comment("created", `Customer: ${ZENDESK}`, "OWNER", { app: "person" }),
    );
    expect(await links()).toEqual(["intercom:215468", "zendesk:4242"]);
  });

  it("reads an app's own body or comment only when links.apps names it", async () => {
    nockConfig("Codertocat", "Hello-World", "links:\n  apps: [renovate]\n");
    await receive(harness.probot, "issues", issueBody("opened", `Customer: ${INTERCOM}`, "NONE", "bot"));
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "NONE", { app: "bot" }));
    expect(await rows()).toEqual({ sources: 0, links: 0, enrichment: 0, linkNotes: 0 });
    expect(logs.filter((line) => line.msg.includes("not read for links")).map((line) => line.msg)).toEqual([
      "Codertocat/Hello-World#1 body: not read for links: its author is the app octocoders-linter, not one of links.apps (renovate)",
      "Codertocat/Hello-World#1 comment 5001: not read for links: its author is the app octocoders-linter, not one of links.apps (renovate)",
    ]);
  });

  it("reads an app's own body and comment when links.apps names it, in any case", async () => {
    nockConfig("Codertocat", "Hello-World", "links:\n  apps: [Octocoders-Linter]\n");
    await receive(harness.probot, "issues", issueBody("opened", `Customer: ${INTERCOM}`, "NONE", "bot"));
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "NONE", { app: "bot" }));
    expect(await links()).toEqual(["intercom:215468", "zendesk:4242"]);
  });

  it("reads an app's own comment by default: links.apps is any app installed on the repository", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "NONE", { app: "bot" }));
    expect(await links()).toEqual(["zendesk:4242"]);
    expect(await rows()).toMatchObject({ links: 1, enrichment: 1, linkNotes: 1 });
  });

  it("ends the links of a trusted comment deleted after its author stopped being trusted, and stores nothing else", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "MEMBER"));
    expect(await links()).toEqual(["zendesk:4242"]);
    // The member left the organisation; their comment is deleted while the issue is open.
    await receive(
      harness.probot,
      "issue_comment",
      comment("deleted", `Customer: ${ZENDESK}`, "NONE", { at: "2026-11-20T10:00:00Z" }),
    );
    expect(await links()).toEqual([]);
  });

  it("links no more than links.max_per_issue conversations, keeping those linked first, and says so", async () => {
    nockConfig("Codertocat", "Hello-World", "links:\n  max_per_issue: 2\n");
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK} ${INTERCOM}`, "OWNER"));
    await receive(
      harness.probot,
      "issue_comment",
      comment("created", `${FRONT}`, "OWNER", { id: 5002, at: "2026-11-20T09:00:00Z" }),
    );

    expect(await links()).toEqual(["zendesk:4242", "intercom:215468"]);
    expect(await rows()).toMatchObject({ links: 2, enrichment: 2 });
    expect(logs.filter((line) => line.level === 40).map((line) => line.msg)).toEqual([
      "Codertocat/Hello-World#1 comment 5002: 1 conversation link(s) not added: the issue already has 2 live links (links.max_per_issue)",
    ]);
  });

  it("a close by someone with read permission reopens nothing and says so; a later close by a triager reopens", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "OWNER"));

    nockPermission("mallory", { permission: "read", role_name: "read" });
    const before = await refused("closer_lacks_permission");
    await receive(harness.probot, "issues", closed("2026-11-21T12:00:00Z", MALLORY));
    expect((await refused("closer_lacks_permission")) - before).toBe(1);
    await receive(harness.probot, "issues", reopened("2026-11-21T13:00:00Z"));
    // triage shows as "read" in `permission`: only role_name tells it apart.
    nockPermission("tessa", { permission: "read", role_name: "triage" });
    await receive(harness.probot, "issues", closed("2026-11-22T12:00:00Z", TESSA));

    expect(await closes()).toEqual([
      {
        closedBy: "mallory",
        reopen: false,
        refusal: "closed by mallory, whose permission on the repository is read, less than reopen.by (triage)",
        jobs: [],
      },
      { closedBy: "tessa", reopen: true, refusal: null, jobs: [{ conversationId: "4242" }] },
    ]);
    expect(logs.map((line) => line.msg)).toContain(
      "Codertocat/Hello-World#1 closed as completed: closed by mallory, whose permission on the repository is read, less than reopen.by (triage); linked conversations are not reopened",
    );
  });

  it("asks GitHub for a closer's permission once within the cache time", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "OWNER"));
    nockPermission("tessa", { permission: "write", role_name: "maintain" });
    await receive(harness.probot, "issues", closed("2026-11-21T12:00:00Z", TESSA));
    await receive(harness.probot, "issues", reopened("2026-11-21T13:00:00Z"));
    await receive(harness.probot, "issues", closed("2026-11-21T14:00:00Z", TESSA));

    expect((await closes()).map((close) => close.jobs.length)).toEqual([1, 1]);
  });

  it("treats an app GitHub does not know as a collaborator (404) as one without permission", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "OWNER"));
    nockPermission("stale[bot]", 404);
    await receive(
      harness.probot,
      "issues",
      closed("2026-11-21T12:00:00Z", { login: "stale[bot]", id: 888, type: "Bot" }),
    );
    expect(await closes()).toEqual([
      {
        closedBy: "stale[bot]",
        reopen: false,
        refusal: "closed by stale[bot], whose permission on the repository is none, less than reopen.by (triage)",
        jobs: [],
      },
    ]);
  });

  it("does not take a failed permission lookup for no permission: the delivery fails, to be retried", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "OWNER"));
    nockPermission("tessa", 502);
    await expect(receive(harness.probot, "issues", closed("2026-11-21T12:00:00Z", TESSA))).rejects.toThrow();
    expect(await closes()).toEqual([]);
    nockPermission("tessa", { permission: "triage", role_name: "triage" });
    await receive(harness.probot, "issues", closed("2026-11-21T12:00:00Z", TESSA));
    expect((await closes()).map((close) => close.jobs.length)).toEqual([1]);
  });

  it("does not ask when reopen.by is read: anyone who can close an issue can read the repository", async () => {
    nockConfig("Codertocat", "Hello-World", "reopen:\n  by: READ\n");
    await receive(harness.probot, "issue_comment", comment("created", `Customer: ${ZENDESK}`, "OWNER"));
    await receive(harness.probot, "issues", closed("2026-11-21T12:00:00Z", MALLORY));
    expect((await closes()).map((close) => close.jobs.length)).toEqual([1]);
  });
});
