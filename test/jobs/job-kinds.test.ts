import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUES } from "../../src/config/queues.js";
import { JOB_KINDS } from "../../src/jobs/job-kinds.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { countJobs, reviveDead } from "../../src/store/lease.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

describe("the job-kind registry", () => {
  it("declares each kind once, with its QUEUES entry, and every QUEUES entry has its kind", () => {
    const ids = JOB_KINDS.map((kind) => kind.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(Object.keys(QUEUES).sort());
  });

  it.each(JOB_KINDS.map((kind) => [kind.id, kind] as const))(
    "%s is complete: a title, its table's lease, its backlog and its dead",
    (_id, kind) => {
      expect(kind.title.trim()).not.toBe("");
      expect(new Set(JOB_KINDS.map((other) => other.title)).size).toBe(JOB_KINDS.length);
      for (const field of ["table", "key", "kind"] as const)
        expect(kind.table[field], field).toMatch(/^[A-Za-z][\w ]*$/);
      // A kind that gives up on rows must say how one is revived, and one that never does has nothing to revive.
      expect(kind.table.revive === null, "dead and revive go together").toBe(kind.table.dead === null);
    },
  );

  it("says what works each kind's rows, so the server builds every worker from the registry", () => {
    const workedBy = Object.fromEntries(
      JOB_KINDS.map((kind) => [kind.id, "build" in kind.runs ? kind.runs.worker.name : "HelpdeskWorker"]),
    );
    expect(workedBy).toEqual({
      delivery: "DeliveryWorker",
      reopen: "HelpdeskWorker",
      linkNote: "HelpdeskWorker",
      enrichment: "HelpdeskWorker",
      answer: "HelpdeskWorker",
      summary: "HelpdeskWorker",
      labels: "IssueMarkingsWorker",
      backfill: "BackfillWorker",
      sweep: "LabelSweepWorker",
    });
  });

  it("docs/jobs.md lists exactly the registry's kinds with their tables, and every worker a kind has", async () => {
    const docs = await readFile(new URL("../../docs/jobs.md", import.meta.url), "utf8");
    const section = (title: string) => docs.split("\n## ").find((part) => part.startsWith(title)) ?? "";
    const rows = (text: string) =>
      [...text.matchAll(/^\| `(\w+)` \| `([\w/.-]+)` \|/gm)].map((row) => [row[1], row[2]]);
    // The registry's table: a kind added without its line (or a table renamed) fails here.
    expect(rows(section("The job-kind registry"))).toEqual(JOB_KINDS.map((kind) => [kind.id, kind.table.table]));
    const workers = rows(section("The worker shape")).map(([worker]) => worker);
    for (const kind of JOB_KINDS) if ("build" in kind.runs) expect(workers).toContain(kind.runs.worker.name);
  });
});

describe.each(ENGINES)("every kind's backlog and retry queries on %s", (engine) => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
  });
  afterAll(async () => {
    await database?.close();
  });

  // Written once for every kind: a fragment naming a column its table lacks fails here, on both engines.
  it.each(JOB_KINDS.map((kind) => [kind.id, kind] as const))("%s runs on an empty database", async (_id, kind) => {
    expect(await countJobs(database.prisma, kind.table)).toEqual({ pending: 0, running: 0, dead: 0 });
    expect(await reviveDead(database.prisma, kind.table)).toBe(0);
  });
});
