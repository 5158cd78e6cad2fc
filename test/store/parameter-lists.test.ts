import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { DELIVERIES } from "../../src/store/deliveries.js";
import {
  CLAIMED_MARKING,
  claimedMarking,
  ISSUE_MARKINGS,
  markingsApplied,
  markLabelsWanted,
  type ClaimedMarking,
  type ClaimedMarkingRow,
} from "../../src/store/issue-markings.js";
import { labelInputsKey, readLabelInputsOf } from "../../src/store/labels.js";
import {
  claimLeases,
  deleteAllLeased,
  releaseLeases,
  renewLeases,
  unlocked,
  updateAllLeased,
} from "../../src/store/lease.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

const LEASE_MS = 60_000;
const REPOSITORY = 10n;
const BATCHES = Array.from({ length: 20 }, (_, i) => i + 1);

/*
 * A process names at most 100 of the PostgreSQL statements it sends again (statement-names.ts): a statement whose text
 * changed with the number of ids in its batch took twenty of them, one per batch size of 1 to 20.
 */
describe.each(ENGINES)("statements over a batch of ids, on %s", (engine) => {
  let database: Database;
  let sent: string[] = [];
  /** The texts each step sent, over every batch size. */
  const texts = new Map<string, Set<string>>();
  async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
    sent = [];
    const result = await work();
    const seen = texts.get(name) ?? new Set<string>();
    for (const text of sent) seen.add(text);
    texts.set(name, seen);
    return result;
  }

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), {
      migrate: true,
      onStatement: (sql) => sent.push(sql),
    });
    await database.prisma.repository.create({
      data: { id: REPOSITORY, installationId: 1n, owner: "acme", name: "app", fullName: "acme/app" },
    });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("the lease's claims are renewed, settled, released and deleted by key, whatever the batch", async () => {
    const { prisma } = database;
    const holder = { owner: "w", leaseMs: LEASE_MS };
    for (const n of BATCHES) {
      const ids = BATCHES.slice(0, n).map((i) => `b${n}-d${i}`);
      await prisma.delivery.createMany({
        data: ids.map((id) => ({ id, name: "issues", payload: "{}", receivedAt: new Date() })),
      });
      const claim = () =>
        claimLeases<{ key: string }>(prisma, engine, DELIVERIES, { ...holder, limit: 100 }).then((rows) =>
          rows.map((row) => row.key).sort(),
        );
      expect(await claim()).toEqual([...ids].sort());
      expect(await step("renewLeases", () => renewLeases(prisma, DELIVERIES, holder, ids))).toEqual([]);
      // Another owner's keys are not written: all of them are lost to it.
      expect(await step("updateAllLeased", () => updateAllLeased(prisma, DELIVERIES, "x", ids, unlocked()))).toEqual(
        ids,
      );
      await step("releaseLeases", () => releaseLeases(prisma, DELIVERIES, "w", ids));
      expect(await prisma.delivery.count({ where: { id: { in: ids }, lockedBy: null } })).toBe(n);
      expect(await claim()).toEqual([...ids].sort());
      expect(await step("deleteAllLeased", () => deleteAllLeased(prisma, DELIVERIES, "w", ids))).toEqual([]);
      expect(await prisma.delivery.count({ where: { id: { in: ids } } })).toBe(0);
    }
    if (engine === "postgresql") expect(distinctTexts()).toEqual(oneEach());
  });

  it("the markings job's marks, reads and settles of its issues, whatever the batch", async () => {
    const { prisma } = database;
    for (const n of BATCHES) {
      const numbers = BATCHES.slice(0, n).map((i) => n * 100 + i);
      const issues = [];
      for (const number of numbers)
        issues.push(await prisma.issue.create({ data: { repositoryId: REPOSITORY, number } }));
      const ids = issues.map((issue) => issue.id);
      const markedAt = new Date("2026-12-01T12:00:00.123Z");
      await step("markLabelsWanted", () => markLabelsWanted(prisma, ids, markedAt));
      // Claimed before `later`, when the first issue of each earlier batch waits again.
      // The claim answers the claimed issues (the job reads them no more).
      const claimed = await step("claimLeases", () =>
        claimLeases<ClaimedMarkingRow & { key: number }>(
          prisma,
          engine,
          ISSUE_MARKINGS,
          { owner: "w", leaseMs: LEASE_MS, limit: 100, returning: CLAIMED_MARKING },
          new Date(markedAt.getTime() + 500),
        ),
      );
      const jobs = claimed.map(claimedMarking).sort((a, b) => a.issueId - b.issueId);
      expect(jobs.map((job) => [job.issueId, job.markedAt])).toEqual(ids.map((id) => [id, markedAt]));
      const inputs = await step("readLabelInputsOf", () =>
        readLabelInputsOf(
          prisma,
          numbers.map((number) => ({ repositoryId: REPOSITORY, number })),
        ),
      );
      expect([...inputs.keys()].sort()).toEqual(numbers.map((number) => labelInputsKey(REPOSITORY, number)).sort());
      // The first issue was marked again while its job ran: it waits again; the others are done.
      const later = new Date(markedAt.getTime() + 1_000);
      await prisma.issue.update({ where: { id: ids[0]! }, data: { labelsMarkedAt: later } });
      // A job whose issue had no mark when claimed is done only while it still has none.
      const settled: ClaimedMarking[] = jobs.map((job, i) => (i === 1 ? { ...job, markedAt: null } : job));
      if (n > 1) await prisma.issue.update({ where: { id: ids[1]! }, data: { labelsMarkedAt: null } });
      const lost = await step("markingsApplied", () =>
        updateAllLeased(prisma, ISSUE_MARKINGS, "w", ids, markingsApplied(engine, ...settled)),
      );
      expect(lost).toEqual([]);
      const rows = await prisma.issue.findMany({
        where: { id: { in: ids } },
        orderBy: { id: "asc" },
        select: { labelsWantedAt: true, lockedBy: true, labelsAttempts: true },
      });
      expect(rows).toEqual(
        ids.map((_, i) => ({ labelsWantedAt: i === 0 ? later : null, lockedBy: null, labelsAttempts: 0 })),
      );
    }
    if (engine === "postgresql") expect(distinctTexts()).toEqual(oneEach());
  });

  const distinctTexts = () => Object.fromEntries([...texts].map(([name, seen]) => [name, seen.size]));
  const oneEach = () => Object.fromEntries([...texts.keys()].map((name) => [name, 1]));
});
