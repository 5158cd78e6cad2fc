import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RecognisedLink } from "../../src/domain/link.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordIssueClose } from "../../src/store/issues.js";
import { purgeRepositories } from "../../src/store/links.js";
import { InstallationPurged } from "../../src/store/purged-installations.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { waitForLockWaits } from "../support/held-transactions.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { issueRef } from "../support/reopen.js";

const zendesk = (id: string): RecognisedLink => ({
  provider: "zendesk",
  account: "acme",
  conversationId: id,
  url: `https://acme.zendesk.com/agent/tickets/${id}`,
});

const paste = (database: Database, number: number, ticket: string) =>
  applySourceChange(database, {
    issue: issueRef(number),
    source: { kind: "comment", key: String(number) },
    event: { action: "created", version: new Date("2026-11-20T10:00:00Z") },
    createdAt: new Date("2026-11-20T10:00:00Z"),
    links: [zendesk(ticket)],
  });

describe.each(ENGINES)("the repository row every delivery shares, on %s", (engine) => {
  let url: string;
  let database: Database;

  beforeEach(async () => {
    url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
  });
  afterEach(async () => {
    await database.close();
  });

  it("the first deliveries of a new repository, all at once, each store their link at the first try", async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => paste(database, i + 1, `${i + 1}`)));
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await database.prisma.link.count()).toBe(12);
    expect(await database.prisma.repository.count()).toBe(1);
  });

  it("a renamed or newly private repository is written again; an unchanged one is not", async () => {
    await paste(database, 1, "1");
    const renamed = issueRef(2);
    await applySourceChange(database, {
      issue: { ...renamed, repository: { ...renamed.repository, name: "renamed", private: true } },
      source: { kind: "comment", key: "2" },
      event: { action: "created", version: new Date("2026-11-20T10:00:00Z") },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links: [zendesk("2")],
    });
    expect(
      await database.prisma.repository.findMany({ select: { name: true, fullName: true, private: true } }),
    ).toEqual([{ name: "renamed", fullName: `${renamed.repository.owner}/renamed`.toLowerCase(), private: true }]);
  });
});

describe.each(ENGINES)("the repository rows each database handle remembers, on %s", (engine) => {
  let first: Database;
  let second: Database;

  beforeEach(async () => {
    const url = await freshDatabaseUrl(engine);
    first = await openDatabase(url, { migrate: true });
    second = await openDatabase(url);
  });
  afterEach(async () => {
    await first.close();
    await second.close();
  });

  it("a repository another replica purged is written again by the next delivery that names it", async () => {
    await paste(first, 1, "1");
    // The installation was uninstalled and reinstalled: the other replica purged the rows this one remembers.
    expect(await purgeRepositories(second, { installationId: issueRef(1).repository.installationId })).toBe(1);
    await paste(first, 2, "2");
    expect(await first.prisma.repository.count()).toBe(1);
    expect(
      (await first.prisma.link.findMany({ select: { conversationId: true } })).map((l) => l.conversationId),
    ).toEqual(["2"]);
  });

  it("a repository of an installation another replica uninstalled is not written again: the delivery writes nothing", async () => {
    await paste(first, 1, "1");
    const { installationId } = issueRef(1).repository;
    await purgeRepositories(second, { installationId, purgedAt: new Date("2026-11-21T10:00:00Z") });
    const enrichJobs = await first.prisma.enrichJob.count();
    // This handle still remembers the repository's row: the issue's insert finds it gone, and it is not written again.
    await expect(paste(first, 2, "2")).rejects.toThrow(InstallationPurged);
    expect({
      repositories: await first.prisma.repository.count(),
      issues: await first.prisma.issue.count(),
      links: await first.prisma.link.count(),
      enrichJobs: await first.prisma.enrichJob.count(),
    }).toEqual({ repositories: 0, issues: 0, links: 0, enrichJobs });
  });

  it("a repository another replica removed from its installation is not written again; its other repositories are", async () => {
    await paste(first, 1, "1");
    const { id, installationId } = issueRef(1).repository;
    await purgeRepositories(second, { installationId, ids: [id], purgedAt: new Date("2026-11-21T10:00:00Z") });
    // This handle still remembers the repository's row: the issue's insert finds it gone, and it is not written again.
    await expect(paste(first, 2, "2")).rejects.toThrow("was removed from installation");
    expect(await first.prisma.repository.count()).toBe(0);
    const other = issueRef(3);
    await applySourceChange(first, {
      issue: { ...other, repository: { ...other.repository, id: id + 1n, name: "other" } },
      source: { kind: "comment", key: "3" },
      event: { action: "created", version: new Date("2026-11-21T10:00:01Z") },
      createdAt: new Date("2026-11-21T10:00:01Z"),
      links: [zendesk("3")],
    });
    expect(await first.prisma.repository.count()).toBe(1);
  });
});

describe("a delivery's transaction on postgresql", () => {
  let url: string;
  let first: Database;
  let second: Database;
  let locker: pg.Client;

  beforeEach(async () => {
    url = await freshDatabaseUrl("postgresql");
    first = await openDatabase(url, { migrate: true });
    locker = new pg.Client({ connectionString: url });
    await locker.connect();
  });
  afterEach(async () => {
    await locker.query("ROLLBACK").catch(() => {});
    await locker.end();
    await first.close();
    await second?.close();
  });

  it("does not wait for another transaction that holds the repository's row", async () => {
    await paste(first, 1, "1");
    const { id } = (await first.prisma.repository.findFirstOrThrow({ select: { id: true } })) as { id: bigint };
    // Another replica's transaction that wrote the repository row and has not committed yet: what every delivery's
    // transaction did when it opened with the repository's upsert, holding the lock through all its round trips.
    await locker.query("BEGIN");
    await locker.query(`SELECT 1 FROM "Repository" WHERE "id" = $1 FOR NO KEY UPDATE`, [id.toString()]);
    // A replica that has not written this repository yet (a fresh process: nothing remembered).
    second = await openDatabase(url, { migrate: false });
    const outcome = await Promise.race([
      (async () => {
        await paste(second, 2, "2");
        await recordIssueClose(second, issueRef(2), {
          closedAt: new Date("2026-11-21T10:00:00Z"),
          stateReason: "completed",
          closedBy: "octocat",
          reopen: true,
          note: "closed",
          summary: true,
          details: "private",
          closedTickets: "follow_up",
        });
        return "stored";
      })(),
      new Promise((resolve) => setTimeout(() => resolve("waited for the lock"), 10_000)),
    ]);
    expect(outcome).toBe("stored");
    expect(await second.prisma.reopenJob.count()).toBe(1);
  });

  it("a repository new to closeloop, written while its installation's purge is under way, waits for it and is not written", async () => {
    await paste(first, 1, "1");
    const { id } = (await first.prisma.repository.findFirstOrThrow({ select: { id: true } })) as { id: bigint };
    const { installationId } = issueRef(1).repository;
    // A transaction holding the purged repository's row keeps the purge in its delete, its record not committed yet.
    await locker.query("BEGIN");
    await locker.query(`SELECT 1 FROM "Repository" WHERE "id" = $1 FOR UPDATE`, [id.toString()]);
    const purge = purgeRepositories(first, { installationId, purgedAt: new Date("2026-11-21T10:00:00Z") });
    await waitForLockWaits(locker, "the purge waiting for the row");
    // Another replica's delivery, meanwhile, on another repository of the installation.
    second = await openDatabase(url, { migrate: false });
    const other = issueRef(2);
    const delivery = applySourceChange(second, {
      issue: { ...other, repository: { ...other.repository, id: other.repository.id + 1n, name: "other" } },
      source: { kind: "comment", key: "2" },
      event: { action: "created", version: new Date("2026-11-21T10:00:01Z") },
      createdAt: new Date("2026-11-21T10:00:01Z"),
      links: [zendesk("2")],
    }).then(
      () => "written",
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await locker.query("COMMIT");
    expect(await purge).toBe(1);
    expect(await delivery).toBeInstanceOf(InstallationPurged);
    expect({
      repositories: await first.prisma.repository.count(),
      issues: await first.prisma.issue.count(),
      links: await first.prisma.link.count(),
    }).toEqual({ repositories: 0, issues: 0, links: 0 });
  });
});
