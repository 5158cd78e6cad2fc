import { beforeEach, describe, expect, it } from "vitest";
import { Probot, ProbotOctokit } from "probot";
import { RepositoryPermissions } from "../../src/github/permissions.js";
import { closeloopApp } from "../../src/app.js";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import type { HandlerDeps } from "../../src/handlers/deps.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import type { Database } from "../../src/store/database.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { TEST_APP_ID } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { captureLogs, useDatabase } from "../support/use-database.js";
import { nockConfig, receive, webhookExample } from "../support/github.js";
import { GithubMemory } from "../../src/github/memory.js";

type Payload = Record<string, any>;

const UNINSTALLED = { id: 186853002n, installationId: 77n, owner: "Codertocat", name: "Hello-World" };
const OTHER = { id: 5n, installationId: 88n, owner: "octo-org", name: "app" };

async function seedLink(database: Database, repository: typeof UNINSTALLED, githubId: bigint): Promise<void> {
  await applySourceChange(database, {
    issue: { repository, number: 1, githubId, state: "open" },
    source: { kind: "comment", key: String(githubId) },
    event: { action: "created", version: new Date("2026-11-20T10:00:00Z") },
    createdAt: new Date("2026-11-20T10:00:00Z"),
    links: [
      {
        provider: "zendesk",
        account: "acme",
        conversationId: String(githubId),
        url: `https://acme.zendesk.com/agent/tickets/${githubId}`,
      },
    ],
  });
}

/** A delivery that failed too often, as the worker keeps it for `closeloop status`. */
async function seedDeadDelivery(database: Database, id: string, name: string, payload: Payload): Promise<void> {
  const at = new Date("2026-11-25T10:00:00Z");
  await database.prisma.delivery.create({
    data: { id, name, payload: JSON.stringify(payload), receivedAt: at, attempts: 8, deadAt: at, lastError: "boom" },
  });
}

function installationDeleted(id: number): Payload {
  const payload = webhookExample<Payload>("installation", "deleted");
  payload.installation.id = id;
  return payload;
}

/** An owner's comment on installation 77's issue naming a Zendesk ticket, its comment id the ticket's. */
function linkingComment(ticket: number): Payload {
  const payload = webhookExample<Payload>("issue_comment", "created");
  payload.installation = { id: 77, node_id: "x" };
  payload.comment.id = ticket;
  payload.comment.body = `Customer: https://acme.zendesk.com/agent/tickets/${ticket}`;
  payload.comment.author_association = "OWNER";
  return payload;
}

/** Repository Codertocat/Hello-World (UNINSTALLED's) removed from, or added to, installation `installation`. */
function repositoriesChanged(action: "added" | "removed", installation: number): Payload {
  const payload = webhookExample<Payload>("installation_repositories", action);
  payload.installation.id = installation;
  const repository = {
    id: Number(UNINSTALLED.id),
    name: "Hello-World",
    full_name: "Codertocat/Hello-World",
    private: false,
    node_id: "x",
  };
  payload.repositories_added = action === "added" ? [repository] : [];
  payload.repositories_removed = action === "removed" ? [repository] : [];
  return payload;
}

/** Installation 77's issue Codertocat/Hello-World#1 closed as completed (the examples have no `closed`: turned around). */
function issueClosed(): Payload {
  const payload = webhookExample<Payload>("issues", "reopened");
  payload.action = "closed";
  payload.installation = { id: 77, node_id: "x" };
  payload.issue.state = "closed";
  payload.issue.state_reason = "completed";
  payload.issue.closed_at = "2026-11-21T10:00:00Z";
  payload.issue.updated_at = "2026-11-21T10:00:00Z";
  return payload;
}

describe.each(ENGINES)("uninstalling on %s", (engine) => {
  const database = useDatabase(engine);
  const { log, messages: logs } = captureLogs("info");
  let probot: Probot;
  const stored = async () => ({
    repositories: await database.prisma.repository.count(),
    issues: await database.prisma.issue.count(),
    links: await database.prisma.link.count(),
    enrichJobs: await database.prisma.enrichJob.count(),
    closes: await database.prisma.issueClose.count(),
    reopenJobs: await database.prisma.reopenJob.count(),
  });

  beforeEach(async () => {
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
    };
    await probot.load(closeloopApp(deps));
  });

  it("purges the installation's repositories and dead deliveries, and no other installation's", async () => {
    await seedLink(database, UNINSTALLED, 1001n);
    await seedLink(database, OTHER, 2002n);
    await seedDeadDelivery(database, "dead-77", "issue_comment", {
      action: "created",
      installation: { id: 77 },
      comment: { body: "customer text" },
    });
    await seedDeadDelivery(database, "dead-88", "issue_comment", {
      action: "created",
      installation: { id: 88 },
      comment: { body: "other text" },
    });
    await seedDeadDelivery(database, "helpdesk.zendesk:evt", "helpdesk.zendesk", { provider: "zendesk", messages: [] });

    await receive(probot, "installation", installationDeleted(77));

    expect((await database.prisma.repository.findMany({ select: { id: true } })).map((row) => row.id)).toEqual([
      OTHER.id,
    ]);
    expect(
      (await database.prisma.delivery.findMany({ orderBy: { id: "asc" }, select: { id: true } })).map((row) => row.id),
    ).toEqual(["dead-88", "helpdesk.zendesk:evt"]);
    expect(logs.some((line) => line.includes("deleted; purged 1 repositories and 1 dead deliveries"))).toBe(true);
  });

  it("purges a repository removed from an installation only while it is that installation's", async () => {
    // The repository moved to installation 88 (transferred to an owner that has the app), whose deliveries came first.
    const moved = { ...OTHER, id: UNINSTALLED.id };
    await seedLink(database, moved, 1001n);
    const removed = webhookExample<Payload>("installation_repositories", "removed");
    removed.installation.id = 77;
    removed.repositories_removed = [
      {
        id: Number(UNINSTALLED.id),
        name: "Hello-World",
        full_name: "Codertocat/Hello-World",
        private: false,
        node_id: "x",
      },
    ];

    await receive(probot, "installation_repositories", removed);
    expect(await stored()).toMatchObject({ repositories: 1, issues: 1, links: 1 });

    // Removed from installation 88, whose it is: purged.
    removed.installation.id = 88;
    await receive(probot, "installation_repositories", removed);
    expect(await stored()).toMatchObject({ repositories: 0, issues: 0, links: 0 });
  });

  it("drops a later delivery of the uninstalled installation instead of re-creating its rows", async () => {
    await seedLink(database, UNINSTALLED, 1001n);
    await receive(probot, "installation", installationDeleted(77));
    expect(await database.prisma.repository.count()).toBe(0);

    // A comment that names a conversation, delivered late (a retry, a replica behind): nothing is stored, GitHub is not asked.
    await receive(probot, "issue_comment", linkingComment(4242), "late-delivery");

    expect(await stored()).toMatchObject({ repositories: 0, issues: 0, links: 0 });
    expect(logs).toContain(
      "issue_comment delivery late-delivery of installation 77, which was uninstalled and purged; dropped",
    );
    // The uninstall itself, delivered again, is not dropped: a purge that failed half-way is finished by its retry.
    await receive(probot, "installation", installationDeleted(77));
    expect(logs.filter((line) => line.includes("installation 77") && line.includes("deleted; purged"))).toHaveLength(2);
  });

  it("drops a later comment whose repository's config and row this process remembers, without asking first", async () => {
    // A first comment: the repository's config is read (and kept), its row written (and remembered).
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issue_comment", linkingComment(4241), "first-delivery");
    expect(await database.prisma.link.count()).toBe(1);
    await receive(probot, "installation", installationDeleted(77));
    const purged = await stored();

    // No statement asks first; the issue's insert finds the repository's row gone, and it is not written again.
    await receive(probot, "issue_comment", linkingComment(4242), "late-delivery");

    expect(await stored()).toEqual({ ...purged, repositories: 0, issues: 0, links: 0 });
    expect(logs).toContain(
      "issue_comment delivery late-delivery of installation 77, which was uninstalled and purged; dropped",
    );
  });

  it("drops later deliveries of a repository removed from the installation instead of re-creating its rows", async () => {
    // A first comment: the repository's config is read (and kept), its row written (and remembered).
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issue_comment", linkingComment(4241), "first-delivery");
    await receive(probot, "installation_repositories", repositoriesChanged("removed", 77));
    const purged = await stored();
    expect(purged).toMatchObject({ repositories: 0, issues: 0, links: 0, closes: 0, reopenJobs: 0 });

    // Deliveries of the repository from before its removal, processed after it (a retry, a replica behind): a comment
    // naming a conversation, then the issue's close, which would plan its reopen.
    await receive(probot, "issue_comment", linkingComment(4242), "late-comment");
    await receive(probot, "issues", issueClosed(), "late-close");

    expect(await stored()).toEqual(purged);
    for (const id of ["late-comment", "late-close"])
      expect(logs.some((line) => line.includes(`delivery ${id} of repository Codertocat/Hello-World (`))).toBe(true);
  });

  it("takes a removed repository's deliveries again once it is added back to the installation", async () => {
    await seedLink(database, UNINSTALLED, 1001n);
    await receive(probot, "installation_repositories", repositoriesChanged("removed", 77));
    await receive(probot, "installation_repositories", repositoriesChanged("added", 77));

    // A comment from before the removal, processed after the re-adding: the repository is the installation's again.
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issue_comment", linkingComment(4242), "late-comment");
    expect(await stored()).toMatchObject({ repositories: 1, issues: 1, links: 1 });
  });

  it("takes a removed repository's event dated after the removal: the installation includes it again", async () => {
    // A re-adding processed before the removal it followed (or one closeloop has not seen): the removal is recorded.
    await receive(probot, "installation_repositories", repositoriesChanged("added", 77));
    await receive(probot, "installation_repositories", repositoriesChanged("removed", 77));
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issue_comment", linkingComment(4241), "from-before");
    expect(await stored()).toMatchObject({ repositories: 0, links: 0 });

    // A comment GitHub dates a few seconds after the removal was processed: GitHub's clock may run ahead of this one,
    // so it may be from before the removal; dropped.
    const skewed = linkingComment(4243);
    skewed.comment.updated_at = skewed.issue.updated_at = new Date(Date.now() + 3_000).toISOString();
    await receive(probot, "issue_comment", skewed, "skewed");
    expect(await stored()).toMatchObject({ repositories: 0, links: 0 });

    // A comment made well after the removal was processed: GitHub sent it, so the installation includes the repository.
    const later = linkingComment(4242);
    later.comment.updated_at = later.issue.updated_at = new Date(Date.now() + 120_000).toISOString();
    await receive(probot, "issue_comment", later, "from-after");
    expect(await stored()).toMatchObject({ repositories: 1, issues: 1, links: 1 });
    expect(await database.prisma.purgedRepository.count()).toBe(0);
    expect(logs.some((line) => line.includes("delivery from-after of repository Codertocat/Hello-World"))).toBe(true);
    // The removal purged the backfill the re-adding asked for, with the issues it would read: asked for again.
    expect(
      await database.prisma.backfill.findMany({ select: { repositoryId: true, state: true, phase: true, page: true } }),
    ).toEqual([{ repositoryId: UNINSTALLED.id, state: "pending", phase: "open", page: 1 }]);
  });

  it("keeps taking a removed repository's deliveries from the installation it moved to", async () => {
    await receive(probot, "installation_repositories", repositoriesChanged("removed", 77));
    const comment = linkingComment(4242);
    comment.installation.id = 88;
    nockConfig("Codertocat", "Hello-World", null);
    await receive(probot, "issue_comment", comment);
    expect(await database.prisma.repository.findMany({ select: { installationId: true } })).toEqual([
      { installationId: 88n },
    ]);
  });
});
