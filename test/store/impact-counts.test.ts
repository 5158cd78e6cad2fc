import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/domain/frequency.js";
import { IMPACT_WINDOWS, summariseImpact } from "../../src/domain/impact.js";
import { PROVIDERS } from "../../src/domain/link.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import type { IssueRef } from "../../src/domain/refs.js";
import { refreshImpact, UNKNOWN_AGE } from "../../src/store/impact.js";
import { ensureIssues, recordIssueDetails } from "../../src/store/links.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

const NOW = new Date("2027-01-01T00:00:00Z");

// When a link was posted, before NOW: on each window's edge, a millisecond either side of it, anywhere in 100 days,
// or after NOW (GitHub's clock ahead of ours).
const age = fc.oneof(
  fc.constantFrom(...IMPACT_WINDOWS.flatMap((days) => [days * DAY_MS - 1, days * DAY_MS, days * DAY_MS + 1])),
  fc.integer({ min: 0, max: 100 * DAY_MS }),
  fc.integer({ min: -DAY_MS, max: -1 }),
);
const link = fc.record({
  age,
  customer: fc.option(fc.constantFrom("a", "b", "c"), { nil: null }),
  provider: fc.constantFrom(...PROVIDERS),
  // a link whose sources all dropped it is not a report
  live: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
});

/**
 * The counts are made in SQL, a batch of issues per statement (src/store/impact.ts); their definition is the domain's
 * (`summariseImpact`, src/domain/impact.ts). On random links, edges included, both give the same counts, latest
 * report, helpdesks and due time.
 */
describe.each(ENGINES)("the impact counts made in %s equal the domain's", (engine) => {
  let database: Database;
  let issues = 0;
  let links = 0;

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    await database.prisma.repository.create({
      data: { id: 1n, installationId: 1n, owner: "octo", name: "app", fullName: "octo/app" },
    });
  });
  afterAll(async () => {
    await database.close();
  });

  it("on random links", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(link, { maxLength: 8 }), { minLength: 1, maxLength: 4 }), async (batch) => {
        const { prisma } = database;
        const ids: number[] = [];
        for (const issueLinks of batch) {
          const id = ++issues;
          ids.push(id);
          await prisma.issue.create({
            data: { id, repositoryId: 1n, number: id, impactDueAt: new Date(0), impactGeneration: 1 },
          });
          await prisma.source.create({ data: { id, issueId: id, kind: "comment", key: String(id), createdAt: NOW } });
          for (const { age, customer, provider, live } of issueLinks) {
            const linkId = ++links;
            const linkedAt = new Date(NOW.getTime() - age);
            await prisma.link.create({
              data: {
                id: linkId,
                issueId: id,
                provider,
                account: "",
                conversationId: String(linkId),
                url: `https://example.com/${linkId}`,
                source: "comment",
                linkedAt,
                customerHash: customer,
                live,
              },
            });
            if (live) await prisma.linkSource.create({ data: { linkId, sourceId: id, postedAt: linkedAt } });
          }
        }
        expect(await refreshImpact(prisma, NOW)).toBe(ids.length);
        const rows = await prisma.issueImpact.findMany({
          where: { issueId: { in: ids } },
          orderBy: { issueId: "asc" },
        });
        expect(rows).toHaveLength(ids.length);
        rows.forEach((row, index) => {
          const live = batch[index]!.filter((l) => l.live);
          const reports = live.map((l) => ({ at: new Date(NOW.getTime() - l.age), customer: l.customer }));
          const summary = summariseImpact(reports, NOW, IMPACT_WINDOWS);
          const helpdesks = [...new Set(live.map((l) => l.provider))].sort();
          expect({
            windows: IMPACT_WINDOWS.map((days) => ({
              days,
              reports: row[`reports${days}`],
              customers: row[`customers${days}`],
            })),
            lastReportAt: row.lastReportAt,
            dueAt: row.dueAt,
            helpdesks: row.helpdesks,
            generation: row.generation,
          }).toEqual({
            ...summary,
            helpdesks: helpdesks.length === 0 ? "" : `,${helpdesks.join(",")},`,
            generation: 1,
          });
        });
        // Counted: no longer marked.
        expect(await prisma.issue.count({ where: { id: { in: ids }, impactDueAt: { not: null } } })).toBe(0);
      }),
      { numRuns: 20 },
    );
  });
});

/**
 * The age sort reads the issue's openedAt from its counts (`IssueImpact.ageOrder`, in the order of an index): each
 * statement that writes Issue.openedAt marks the counts due when the value changes, so the next count (a page counts
 * the due ones first) keeps them equal.
 */
describe.each(ENGINES)("the age order kept with the counts, on %s", (engine) => {
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
  });
  afterAll(async () => {
    await database.close();
  });

  it("follows openedAt as payloads with links and without write it, unknown last", async () => {
    const { prisma } = database;
    const repository = { id: 1n, installationId: 1n, owner: "octo", name: "app" };
    await prisma.repository.create({ data: { ...repository, fullName: "octo/app" } });
    const day = (n: number) => new Date(Date.UTC(2020, 0, n));
    const ref = (number: number, details?: { openedAt: Date; at: Date }): IssueRef => ({
      repository,
      number,
      githubId: BigInt(number),
      state: "open",
      ...(details && { details: { title: `Issue ${number}`, ...details } }),
    });
    const ensure = (refs: IssueRef[]) => prisma.$transaction((tx) => ensureIssues(tx, refs));
    const ageOrders = async () =>
      (await prisma.issueImpact.findMany({ orderBy: { issueId: "asc" }, include: { issue: true } })).map((row) => [
        row.issue.number,
        row.ageOrder.toISOString(),
      ]);

    // First seen with and without its created_at (a helpdesk note's issue), then counted once linked.
    const issues = await ensure([ref(1, { openedAt: day(3), at: day(1) }), ref(2)]);
    await prisma.issue.updateMany({
      where: { id: { in: [...issues.values()].map((issue) => issue.id) } },
      data: { impactDueAt: new Date(0) },
    });
    expect(await refreshImpact(prisma, NOW)).toBe(2);
    expect(await ageOrders()).toEqual([
      [1, day(3).toISOString()],
      [2, UNKNOWN_AGE.toISOString()],
    ]);

    // A later payload changes each: issue 2's created_at arrives with a link's payload, issue 1's with an edit.
    await ensure([ref(2, { openedAt: day(5), at: day(2) })]);
    await recordIssueDetails(prisma, repository.id, [ref(1, { openedAt: day(4), at: day(2) })]);
    expect(await refreshImpact(prisma, NOW)).toBe(2);
    expect(await ageOrders()).toEqual([
      [1, day(4).toISOString()],
      [2, day(5).toISOString()],
    ]);

    // Payloads that leave it as it is mark nothing, and an older payload changes nothing.
    await ensure([ref(2, { openedAt: day(5), at: day(3) })]);
    await recordIssueDetails(prisma, repository.id, [
      ref(1, { openedAt: day(4), at: day(3) }),
      ref(2, { openedAt: day(9), at: day(1) }),
    ]);
    expect(await refreshImpact(prisma, NOW)).toBe(0);
  });
});
