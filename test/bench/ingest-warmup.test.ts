import { afterEach, describe, expect, it } from "vitest";
import { openMigratedDatabase } from "../../bench/bench-database.js";
import { DELIVERIES } from "../../src/store/deliveries.js";
import { DELIVERY_WORK, waitForWork } from "../../bench/ingest.js";
import type { Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

// P1 measures the load that follows its warm-up: work the warm-up left (label jobs) would run in the measured window.
describe.each(ENGINES)("P1's wait after its warm-up on %s", (engine) => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("waits for the labels a processed delivery marked wanted, and the drain for the inbox alone", async () => {
    const url = await freshDatabaseUrl(engine);
    database = await openMigratedDatabase(url);
    const { prisma } = database;
    await prisma.repository.create({
      data: { id: 1n, installationId: 77n, owner: "bench-org", name: "repo-0", fullName: "bench-org/repo-0" },
    });
    const issue = await prisma.issue.create({ data: { repositoryId: 1n, number: 1, labelsWantedAt: new Date() } });

    expect(await waitForWork(url, [DELIVERIES])).toBeLessThan(1);
    let waited = false;
    const warmup = waitForWork(url, DELIVERY_WORK).then(() => (waited = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(waited).toBe(false);
    await prisma.issue.update({ where: { id: issue.id }, data: { labelsWantedAt: null } });
    await warmup;
    expect(waited).toBe(true);
  });

  it("waits for a delivery still in the inbox", async () => {
    const url = await freshDatabaseUrl(engine);
    database = await openMigratedDatabase(url);
    const { prisma } = database;
    await prisma.delivery.create({ data: { id: "d-1", name: "issue_comment", payload: "{}", receivedAt: new Date() } });
    let waited = false;
    const drain = waitForWork(url, [DELIVERIES]).then(() => (waited = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(waited).toBe(false);
    await prisma.delivery.delete({ where: { id: "d-1" } });
    await drain;
    expect(waited).toBe(true);
  });
});
