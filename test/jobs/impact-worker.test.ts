import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ImpactWorker } from "../../src/jobs/impact-worker.js";
import { refreshImpact } from "../../src/store/impact.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { ensureImpactCounting, IMPACT_COUNTING } from "../../src/store/impact-counting.js";
import { claimLeases } from "../../src/store/lease.js";
import { ENGINES } from "../support/databases.js";
import { waitFor } from "../support/wait.js";
import { useDatabase } from "../support/use-database.js";

const repository = { id: 10n, installationId: 1n, owner: "Octo", name: "App" };

describe.each(ENGINES)("the dashboard's counts in the background on %s", (engine) => {
  const database = useDatabase(engine);
  let worker: ImpactWorker | undefined;

  beforeEach(async () => {
    // Five issues, each linked once a minute ago: each is marked due for counting.
    for (let number = 1; number <= 5; number++) {
      const at = new Date(Date.now() - 60_000);
      await applySourceChange(database, {
        issue: { repository, number, githubId: BigInt(number), state: "open" },
        source: { kind: "comment", key: String(number) },
        event: { action: "created", version: at },
        createdAt: at,
        links: [
          {
            provider: "zendesk",
            account: "acme",
            conversationId: String(number),
            url: `https://acme.zendesk.com/agent/tickets/${number}`,
          },
        ],
      });
    }
  });

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  it("refreshImpact stops after the batch that reaches its limit, leaving the rest due", async () => {
    expect(await refreshImpact(database.prisma, new Date(), 2, 3)).toBe(4);
    expect(await database.prisma.issueImpact.count()).toBe(4);
    expect(await refreshImpact(database.prisma, new Date(), 2, 3)).toBe(1);
    expect(await database.prisma.issueImpact.count()).toBe(5);
  });

  it("counts every due issue in short rounds, one after the other, without waiting for its poll", async () => {
    worker = new ImpactWorker(database.prisma, database.engine, pino({ level: "silent" }), {
      roundSize: 2,
      idleMs: 60_000,
    });
    worker.start();
    // Three rounds (2, 2, 1): a round that filled up starts the next at once, well before the minute's poll.
    await waitFor(async () => (await database.prisma.issueImpact.count()) === 5, 5_000, "every issue counted");
    const rows = await database.prisma.issueImpact.findMany({ orderBy: { issueId: "asc" } });
    expect(rows.map((row) => row.reports30)).toEqual([1, 1, 1, 1, 1]);
  });

  it("counts nothing while webhooks arrive in a burst, waiting for half a second's quiet, and counts after it", async () => {
    let burst = true;
    const asked = new Set<number | undefined>();
    let looks = 0;
    worker = new ImpactWorker(database.prisma, database.engine, pino({ level: "silent" }), {
      yieldMs: 1,
      ingestActive: (quietMs) => (asked.add(quietMs), looks++, burst),
    });
    worker.start();
    await waitFor(async () => looks >= 5, 5_000, "five looks at the arrivals signal");
    expect(await database.prisma.issueImpact.count()).toBe(0);
    // The same quiet a backfill's page waits for, longer than the delivery worker's.
    expect([...asked]).toEqual([500]);
    burst = false;
    await waitFor(async () => (await database.prisma.issueImpact.count()) === 5, 5_000, "every issue counted");
  });

  it("counts anyway once held back for the backstop under webhooks that never pause", async () => {
    const started = performance.now();
    worker = new ImpactWorker(database.prisma, database.engine, pino({ level: "silent" }), {
      yieldMs: 1,
      maxHoldMs: 300,
      ingestActive: () => true,
    });
    worker.start();
    await waitFor(async () => (await database.prisma.issueImpact.count()) === 5, 5_000, "every issue counted");
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  const silent = () => new ImpactWorker(database.prisma, database.engine, pino({ level: "silent" }), { roundSize: 10 });

  it("counts nothing while another replica holds the lease, and takes it over once that replica's lease ran out", async () => {
    await ensureImpactCounting(database.prisma);
    const held = await claimLeases(database.prisma, database.engine, IMPACT_COUNTING, {
      owner: "another replica",
      leaseMs: 60_000,
      limit: 1,
    });
    expect(held).toHaveLength(1);
    const replica = silent();

    expect(await replica.countRound()).toBeNull();
    expect(await database.prisma.issueImpact.count()).toBe(0);

    // That replica died: its lease runs out, and this one counts, then gives the lease up.
    await database.prisma.impactCounting.update({ where: { id: 1 }, data: { lockedUntil: new Date(Date.now() - 1) } });
    expect(await replica.countRound()).toBe(5);
    expect(await database.prisma.issueImpact.count()).toBe(5);
    expect(await database.prisma.impactCounting.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({
      lockedBy: null,
      lockedUntil: null,
    });
  });

  it("two replicas on one database never count the same issue twice", async () => {
    const [a, b] = await Promise.all([silent().countRound(), silent().countRound()]);
    // One counted the five while the other found the lease held, or, one after the other, the second found none due.
    expect([a, b].map((counted) => counted ?? 0).reduce((sum, counted) => sum + counted, 0)).toBe(5);
    expect(await database.prisma.issueImpact.count()).toBe(5);
  });
});
