import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { linksCommand } from "../../src/cli/links-command.js";
import { listIssueLinks } from "../../src/store/links.js";
import { startHarness, TEST_APP_ID, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { nockConfig, nockRepositoryInstallation, receive, webhookExample } from "../support/github.js";
import { LINEAR_BOUND_MS } from "../support/linear-time.js";
import { captureCli } from "../support/cli-output.js";

const ZENDESK = "https://acme.zendesk.com/agent/tickets/4242";
const INTERCOM = "https://app.intercom.com/a/inbox/abc123/inbox/shared/all/conversation/215468";
const FRONT = "https://app.frontapp.com/open/cnv_55c8c149";
const REPO = "Codertocat/Hello-World";
const INSTALLATION = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };

type Payload = Record<string, any>;

function comment(
  action: "created" | "edited" | "deleted",
  body: string,
  at: { created?: string; updated?: string; id?: number } = {},
): Payload {
  const payload = webhookExample<Payload>("issue_comment", action);
  payload.installation = INSTALLATION;
  payload.comment.body = body;
  if (at.id) payload.comment.id = at.id;
  payload.comment.created_at = at.created ?? "2026-11-20T10:00:00Z";
  payload.comment.updated_at = at.updated ?? payload.comment.created_at;
  return payload;
}

function issueEvent(action: string, body: string | null, extra: Payload = {}): Payload {
  const payload = webhookExample<Payload>("issues", action);
  payload.installation = INSTALLATION;
  payload.issue.body = body;
  payload.issue.created_at = "2026-11-19T08:00:00Z";
  payload.issue.updated_at = "2026-11-19T08:00:00Z";
  return Object.assign(payload, extra);
}

describe.each(ENGINES)("capturing conversation links on %s", (engine) => {
  let harness: Harness;
  const links = () => listIssueLinks(harness.database.prisma, REPO, 1);
  const summary = async () =>
    (await links())?.map(
      (link) =>
        `${link.provider}:${link.conversationId}@${link.linkedAt.toISOString()} ${link.sources.map((s) => `${s.kind}:${s.key}`).join(",")}`,
    );

  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => {
    await harness.close();
  });

  it("stores every conversation URL of a new comment, dated by the comment, with its source", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(
      harness.probot,
      "issue_comment",
      comment("created", `Customer hit this: ${ZENDESK}, also <${INTERCOM}> and [front](${FRONT}).`),
    );

    expect(await links()).toEqual([
      {
        provider: "zendesk",
        account: "acme",
        conversationId: "4242",
        url: ZENDESK,
        source: "comment",
        fromAddressBar: false,
        linkedAt: new Date("2026-11-20T10:00:00Z"),
        sources: [{ kind: "comment", key: "492700400", postedAt: new Date("2026-11-20T10:00:00Z") }],
      },
      {
        provider: "intercom",
        account: "abc123",
        conversationId: "215468",
        url: "https://app.intercom.com/a/inbox/abc123/inbox/conversation/215468",
        source: "comment",
        fromAddressBar: false,
        linkedAt: new Date("2026-11-20T10:00:00Z"),
        sources: [{ kind: "comment", key: "492700400", postedAt: new Date("2026-11-20T10:00:00Z") }],
      },
      {
        provider: "front",
        account: "",
        conversationId: "cnv_55c8c149",
        url: FRONT,
        source: "comment",
        fromAddressBar: false,
        linkedAt: new Date("2026-11-20T10:00:00Z"),
        sources: [{ kind: "comment", key: "492700400", postedAt: new Date("2026-11-20T10:00:00Z") }],
      },
    ]);
    const repository = await harness.database.prisma.repository.findUniqueOrThrow({ where: { id: 186853002n } });
    expect(repository).toEqual({
      id: 186853002n,
      installationId: 77n,
      owner: "Codertocat",
      name: "Hello-World",
      fullName: "codertocat/hello-world",
      private: false,
    });
  });

  it("marks a Front link made from an address-bar URL, and closeloop links says so", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const addressBar = "https://app.frontapp.com/inboxes/teams/folders/123/unassigned/open/26322453318";
    await receive(harness.probot, "issue_comment", comment("created", `Seen in ${addressBar} and ${FRONT}`));
    expect((await links())?.map((link) => [link.conversationId, link.url, link.fromAddressBar])).toEqual([
      ["cnv_c3bpiyu", "https://app.frontapp.com/open/cnv_c3bpiyu", true],
      ["cnv_55c8c149", FRONT, false],
    ]);
    const database = () => Promise.resolve(harness.database);
    const json = captureCli();
    await linksCommand(database, [`${REPO}#1`], { json: true, githubHost: "github.com" }, json.out);
    expect(json.json()).toMatchObject([
      { conversationId: "cnv_c3bpiyu", fromAddressBar: true },
      { conversationId: "cnv_55c8c149", fromAddressBar: false },
    ]);
    const human = captureCli();
    await linksCommand(database, [`${REPO}#1`], { json: false, githubHost: "github.com" }, human.out);
    expect(human.lines.slice(2)).toEqual([
      "front|cnv_c3bpiyu|comment|2026-11-20 10:00:00Z|https://app.frontapp.com/open/cnv_c3bpiyu (from an address-bar URL)",
      `front|cnv_55c8c149|comment|2026-11-20 10:00:00Z|${FRONT}`,
      `from an address-bar URL: the id was converted from the number in Front's address bar, which Front does not officially support; check it opens the right conversation, or paste the conversation's "Copy link" instead`,
    ]);
  });

  it("maps a merged conversation's old URL onto its survivor's link: one link, carried by both comments", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(
      harness.probot,
      "issue_comment",
      comment("created", "Customer: https://app.frontapp.com/open/cnv_b", { id: 1 }),
    );
    // Front merged cnv_55c8c149 into cnv_b (a reopen or a read learned it from Front's redirect).
    await harness.database.prisma.conversationAlias.create({
      data: { provider: "front", account: "", aliasId: "cnv_55c8c149", conversationId: "cnv_b", createdAt: new Date() },
    });
    await receive(
      harness.probot,
      "issue_comment",
      comment("created", `Another customer: ${FRONT}`, { id: 2, created: "2026-11-20T11:00:00Z" }),
    );
    expect(await summary()).toEqual(["front:cnv_b@2026-11-20T10:00:00.000Z comment:1,comment:2"]);
  });

  it("changes nothing when the same delivery arrives twice", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const payload = comment("created", `See ${ZENDESK}`);
    await receive(harness.probot, "issue_comment", payload, "delivery-1");
    const before = await summary();
    await receive(harness.probot, "issue_comment", payload, "delivery-1");
    expect(await summary()).toEqual(before);
    expect(await harness.database.prisma.linkSource.count()).toBe(1);
  });

  it("converges to the same links when an edit is processed before its creation", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const created = comment("created", `See ${ZENDESK}`);
    const edited = comment("edited", `See ${ZENDESK} and ${FRONT}`, { updated: "2026-11-20T11:00:00Z" });
    edited.changes = { body: { from: created.comment.body } };

    await receive(harness.probot, "issue_comment", edited);
    await receive(harness.probot, "issue_comment", created);
    const outOfOrder = await summary();

    const inOrder = await startHarness(engine);
    try {
      nockConfig("Codertocat", "Hello-World", null);
      await receive(inOrder.probot, "issue_comment", created);
      await receive(inOrder.probot, "issue_comment", edited);
      const expected = (await listIssueLinks(inOrder.database.prisma, REPO, 1))!.map(
        (link) =>
          `${link.provider}:${link.conversationId}@${link.linkedAt.toISOString()} ${link.sources.map((s) => `${s.kind}:${s.key}`).join(",")}`,
      );
      expect(outOfOrder).toEqual(expected);
      expect(expected).toEqual([
        "zendesk:4242@2026-11-20T10:00:00.000Z comment:492700400",
        "front:cnv_55c8c149@2026-11-20T11:00:00.000Z comment:492700400",
      ]);
    } finally {
      await inOrder.close();
    }
  });

  it("removes a link when the edit that drops it is the last source carrying it", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK} ${FRONT}`));
    await receive(
      harness.probot,
      "issue_comment",
      comment("edited", `only ${FRONT} now`, { updated: "2026-11-20T12:00:00Z" }),
    );
    expect(await summary()).toEqual(["front:cnv_55c8c149@2026-11-20T10:00:00.000Z comment:492700400"]);
    expect(await harness.database.prisma.link.count()).toBe(1);
  });

  it("keeps a link while another source still carries it, and removes it with the last", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issues", issueEvent("opened", `Reported in ${ZENDESK}`));
    await receive(harness.probot, "issue_comment", comment("created", `also ${ZENDESK}`));
    expect(await summary()).toEqual(["zendesk:4242@2026-11-19T08:00:00.000Z body:,comment:492700400"]);

    await receive(harness.probot, "issue_comment", comment("deleted", `also ${ZENDESK}`));
    expect(await summary()).toEqual(["zendesk:4242@2026-11-19T08:00:00.000Z body:"]);

    const edited = issueEvent("edited", "No link any more");
    edited.issue.updated_at = "2026-11-21T08:00:00Z";
    edited.changes = { body: { from: `Reported in ${ZENDESK}` } };
    await receive(harness.probot, "issues", edited);
    expect(await summary()).toEqual([]);
  });

  it("does not revive a deleted comment when its creation arrives late", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("deleted", `${ZENDESK}`));
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK}`));
    expect(await summary()).toEqual([]);
  });

  it("keeps the links of a closed issue as history when their comment goes", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK}`));
    const closed = webhookExample<Payload>("issues", "reopened");
    Object.assign(closed, { action: "closed", installation: INSTALLATION });
    Object.assign(closed.issue, { state: "closed", state_reason: "completed", closed_at: "2026-11-22T09:00:00Z" });
    await receive(harness.probot, "issues", closed);
    // As GitHub sends it: the issue in a delete's payload was updated no earlier than its close.
    const deleted = comment("deleted", `${ZENDESK}`);
    deleted.issue.updated_at = "2026-11-23T08:00:00Z";
    await receive(harness.probot, "issue_comment", deleted);

    expect(await summary()).toEqual(["zendesk:4242@2026-11-20T10:00:00.000Z "]);
    const issue = await harness.database.prisma.issue.findFirstOrThrow();
    expect(issue).toMatchObject({
      state: "closed",
      stateReason: "completed",
      closedAt: new Date("2026-11-22T09:00:00Z"),
    });
  });

  it("ignores comments written by closeloop itself and comments on pull requests", async () => {
    const own = comment("created", `${ZENDESK}`);
    own.comment.performed_via_github_app = { id: TEST_APP_ID, slug: "closeloop", name: "closeloop" };
    await receive(harness.probot, "issue_comment", own);
    const onPull = comment("created", `${ZENDESK}`, { id: 5 });
    onPull.issue.pull_request = { url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/1" };
    await receive(harness.probot, "issue_comment", onPull);
    expect(await links()).toBeNull();
  });

  it("keeps the first links.max_per_source links of a comment", async () => {
    nockConfig("Codertocat", "Hello-World", "links:\n  max_per_source: 2\n");
    const body = [1, 2, 3, 4].map((n) => `https://acme.zendesk.com/agent/tickets/${n}`).join("\n");
    await receive(harness.probot, "issue_comment", comment("created", body));
    expect((await links())!.map((link) => link.conversationId)).toEqual(["1", "2"]);
  });

  it("captures links with the defaults when the config is invalid, and records the error for status", async () => {
    nockConfig("Codertocat", "Hello-World", "links:\n  max_per_source: lots\n");
    await receive(harness.probot, "issues", issueEvent("opened", `${ZENDESK}`));
    await receive(harness.probot, "issue_comment", comment("created", `${FRONT}`));
    expect((await links())!.map((link) => link.provider)).toEqual(["zendesk", "front"]);
    const error = await harness.database.prisma.configError.findUniqueOrThrow({ where: { repositoryId: 186853002n } });
    expect(error).toMatchObject({
      path: ".github/closeloop.yml",
      message: ".github/closeloop.yml: links.max_per_source: must be a whole number",
    });
  });

  it("reads the org's .github repository when the repository has no config (_extends and defaults)", async () => {
    nockConfig("Codertocat", "Hello-World", null, "links:\n  max_per_source: 1\n");
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK} ${FRONT}`));
    expect((await links())!.map((link) => link.provider)).toEqual(["zendesk"]);
  });

  it("follows _extends to another repository's config", async () => {
    nockConfig("Codertocat", "Hello-World", "_extends: shared-settings\n");
    nockConfig("Codertocat", "shared-settings", "links:\n  max_per_source: 1\n");
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK} ${FRONT}`));
    expect((await links())!.map((link) => link.provider)).toEqual(["zendesk"]);
  });

  it("ignores unknown hosts and near misses, storing nothing", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(
      harness.probot,
      "issue_comment",
      comment(
        "created",
        "https://acme.zendesk.com/agent/tickets/abc https://app.frontapp.com/open/55c8c149 https://zendesk.com.attacker.io/agent/tickets/1\n\n```\nhttps://acme.zendesk.com/agent/tickets/7\n```\n\n> https://acme.zendesk.com/agent/tickets/8\n\n`https://acme.zendesk.com/agent/tickets/9`",
      ),
    );
    expect(await links()).toBeNull();
  });

  it("handles a 1 MB comment in bounded time", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const body = `${"[`<".repeat(350_000)} ${ZENDESK}`;
    const started = performance.now();
    await receive(harness.probot, "issue_comment", comment("created", body));
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
    expect((await links())!.map((link) => link.conversationId)).toEqual(["4242"]);
  });

  it("moves links with a transferred issue", async () => {
    const transferred = webhookExample<Payload>("issues", "transferred");
    transferred.installation = INSTALLATION;
    const oldRepo = transferred.repository.full_name as string;
    const [owner, name] = oldRepo.split("/") as [string, string];
    nockConfig(owner, name, null);
    const opened = issueEvent("opened", `${ZENDESK}`);
    opened.repository = transferred.repository;
    opened.issue.number = transferred.issue.number;
    await receive(harness.probot, "issues", opened);
    expect(await listIssueLinks(harness.database.prisma, oldRepo, transferred.issue.number)).toHaveLength(1);

    // its labels are applied in its new repository, under that repository's config
    const [newOwner, newName] = (transferred.changes.new_repository.full_name as string).split("/") as [string, string];
    nockConfig(newOwner, newName, null);
    nockRepositoryInstallation(newOwner, newName, INSTALLATION.id);
    await receive(harness.probot, "issues", transferred);

    expect(await listIssueLinks(harness.database.prisma, oldRepo, transferred.issue.number)).toBeNull();
    const moved = await listIssueLinks(
      harness.database.prisma,
      transferred.changes.new_repository.full_name,
      transferred.changes.new_issue.number,
    );
    expect(moved!.map((link) => link.conversationId)).toEqual(["4242"]);
  });

  it("purges an issue's links when the issue is deleted", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", `${ZENDESK}`));
    const deleted = webhookExample<Payload>("issues", "deleted");
    await receive(harness.probot, "issues", deleted);
    expect(await links()).toBeNull();
    expect(await harness.database.prisma.link.count()).toBe(0);
    expect(await harness.database.prisma.source.count()).toBe(0);
  });

  it("purges an installation's data when it is deleted, and a removed repository's", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const inInstallation2 = comment("created", `${ZENDESK}`);
    inInstallation2.installation = { id: 2 };
    await receive(harness.probot, "issue_comment", inInstallation2);
    expect(await harness.database.prisma.link.count()).toBe(1);
    await receive(harness.probot, "installation", webhookExample("installation", "deleted"));
    expect(await harness.database.prisma.link.count()).toBe(0);
    expect(await harness.database.prisma.repository.count()).toBe(0);

    await receive(harness.probot, "issue_comment", inInstallation2);
    const removed = webhookExample<Payload>("installation_repositories", "removed");
    removed.repositories_removed = [
      { id: 186853002, name: "Hello-World", full_name: REPO, private: false, node_id: "x" },
    ];
    await receive(harness.probot, "installation_repositories", removed);
    expect(await harness.database.prisma.repository.count()).toBe(0);
  });
});
