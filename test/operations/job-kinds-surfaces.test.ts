import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { OpsPage } from "../../src/dashboard/views/ops.js";
import { countEveryKind, JOB_KINDS } from "../../src/jobs/job-kinds.js";
import { readStatus } from "../../src/operations/status.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { captureCli } from "../support/cli-output.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { seedEveryKind, type SeededCounts } from "../support/job-kinds.js";

/**
 * Every surface that shows or retries jobs loops over the job-kind registry (src/jobs/job-kinds.ts): each test below
 * goes over JOB_KINDS, so a kind added to the registry is checked on every surface (and must be seeded).
 */
describe.each(ENGINES)("every kind of job, on every surface, on %s", (engine) => {
  let database: Database;
  let seeded: SeededCounts;
  const saved = process.env.DATABASE_URL;

  beforeEach(async () => {
    const url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
    process.env.DATABASE_URL = url;
    seeded = await seedEveryKind(database.prisma);
    for (const kind of JOB_KINDS) expect(seeded[kind.id], `seedEveryKind stores no ${kind.id} rows`).toBeDefined();
  });
  afterEach(async () => {
    process.env.DATABASE_URL = saved;
    await database?.close();
  });

  const line = (title: string, counts: { pending: number; running: number; dead: number }) =>
    `${title}: ${counts.pending} pending, ${counts.running} running, ${counts.dead} dead`;

  it("closeloop status lists each kind by state, in text and JSON", async () => {
    const json = captureCli();
    await runCli(["status", "--json"], json.out, json.error);
    const { jobs } = json.json() as { jobs: { kind: string; pending: number; running: number; dead: number }[] };
    expect(jobs.map((kind) => kind.kind)).toEqual(JOB_KINDS.map((kind) => kind.id));
    for (const kind of JOB_KINDS)
      expect(
        jobs.find((row) => row.kind === kind.id),
        kind.id,
      ).toMatchObject(seeded[kind.id]);

    const text = captureCli();
    await runCli(["status"], text.out, text.error);
    const lines = text.lines.map((row) => row.slice(12));
    for (const kind of JOB_KINDS) expect(lines).toContain(line(kind.title, seeded[kind.id]));
  });

  it("the operations page has a row per kind, and the button that retries the dead", async () => {
    const { status } = await readStatus(database, {});
    const page = new Hono().get("/", (c) =>
      c.html(OpsPage({ viewer: { login: "admin", admin: true, csrf: "t" }, status, notice: null })),
    );
    const html = await (await page.request("/")).text();
    for (const kind of JOB_KINDS) {
      const { pending, running, dead } = seeded[kind.id];
      expect(html, kind.id).toMatch(
        new RegExp(
          `<th scope="row">${kind.title}</th>\\s*<td class="num">${pending}</td>\\s*<td class="num">${running}</td>\\s*<td class="num">${dead}</td>`,
        ),
      );
    }
    expect(html).toContain("Retry every dead job");
  });

  it("closeloop jobs counts each kind in the state asked for", async () => {
    const io = captureCli();
    expect(await runCli(["jobs", "--state", "dead"], io.out, io.error)).toBe(0);
    for (const kind of JOB_KINDS) expect(io.lines).toContain(`  ${kind.title}: ${seeded[kind.id].dead} dead`);
  });

  it("closeloop retry --dead runs the dead of every retriable kind again; only labels and the sweep never stay dead", async () => {
    const io = captureCli();
    expect(await runCli(["retry", "--dead", "--json"], io.out, io.error)).toBe(0);
    const retriable = JOB_KINDS.filter((kind) => kind.table.revive !== null);
    expect(retriable.map((kind) => kind.id).sort()).toEqual(
      JOB_KINDS.filter((kind) => kind.table.dead !== null)
        .map((kind) => kind.id)
        .sort(),
    );
    expect(JOB_KINDS.filter((kind) => kind.table.dead === null).map((kind) => kind.id)).toEqual(["labels", "sweep"]);
    const outcome = io.json() as { retried: number; kinds: Record<string, number> };
    expect(outcome.kinds).toEqual(Object.fromEntries(retriable.map((kind) => [kind.id, seeded[kind.id].dead])));
    expect(outcome.retried).toBe(retriable.reduce((sum, kind) => sum + seeded[kind.id].dead, 0));
    for (const kind of await countEveryKind(database.prisma)) {
      expect(kind.dead, kind.kind).toBe(0);
      // Back to work: what was dead now waits.
      expect(kind.pending, kind.kind).toBe(seeded[kind.kind].pending + seeded[kind.kind].dead);
    }
    const again = captureCli();
    expect(await runCli(["retry", "--dead"], again.out, again.error)).toBe(0);
    expect(again.lines).toEqual(["no dead jobs"]);
  });
});
