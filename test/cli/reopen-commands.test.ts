import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { captureCli } from "../support/cli-output.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { claimSweep, finishSweep } from "../../src/store/sweep-schedule.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { closeWithLinks, conversation, issueRef } from "../support/reopen.js";
import { recordIssueClose } from "../../src/store/issues.js";

const capture = captureCli;

describe.each(ENGINES)("closeloop jobs, retry and status on %s", (engine) => {
  let database: Database;
  const saved = process.env.DATABASE_URL;
  let ids: { done: number; dead: number; pending: number; deadToo: number };

  /** A link note on issue 42's Zendesk conversation that died. */
  async function deadLinkNote(): Promise<number> {
    const issue = await database.prisma.issue.findFirstOrThrow({ where: { number: 42 } });
    const note = await database.prisma.linkNote.create({
      data: {
        issueId: issue.id,
        provider: "zendesk",
        account: "acme",
        conversationId: "4001",
        url: "https://acme.zendesk.com/agent/tickets/4001",
        note: "Engineering is tracking this",
        state: "dead",
        attempts: 3,
        lastError: "Zendesk: ticket not found (404)",
        lastStatus: 404,
        finishedAt: new Date("2026-11-21T12:07:00Z"),
      },
    });
    return note.id;
  }

  beforeEach(async () => {
    const url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
    process.env.DATABASE_URL = url;
    await closeWithLinks(database, 42, [
      conversation("zendesk", 1),
      conversation("intercom", 2),
      conversation("intercom", 3),
      conversation("front", 4),
    ]);
    const jobs = await database.prisma.reopenJob.findMany({ orderBy: { id: "asc" } });
    ids = { done: jobs[0]!.id, dead: jobs[1]!.id, pending: jobs[2]!.id, deadToo: jobs[3]!.id };
    const at = new Date("2026-11-21T12:05:00Z");
    await database.prisma.reopenJob.update({
      where: { id: ids.done },
      data: { state: "done", attempts: 1, noteDoneAt: at, reopenDoneAt: at, finishedAt: at, followUpId: "90001" },
    });
    await database.prisma.reopenJob.update({
      where: { id: ids.dead },
      data: {
        state: "dead",
        attempts: 1,
        lastError: "Intercom: conversation not found (404)",
        lastStatus: 404,
        finishedAt: at,
      },
    });
    await database.prisma.reopenJob.update({
      where: { id: ids.deadToo },
      data: {
        state: "dead",
        attempts: 0,
        lastError: "Front: provider not configured",
        finishedAt: new Date("2026-11-21T12:06:00Z"),
      },
    });
  });
  afterEach(async () => {
    await database.close();
    process.env.DATABASE_URL = saved;
  });

  it("jobs --json lists every job with its issue, state and last error", async () => {
    const io = capture();
    expect(await runCli(["jobs", "--json"], io.out, io.error)).toBe(0);
    const rows = io.json() as Record<string, unknown>[];
    expect(rows.map((row) => [row.id, row.state, row.provider])).toEqual([
      [ids.done, "done", "zendesk"],
      [ids.dead, "dead", "intercom"],
      [ids.pending, "pending", "intercom"],
      [ids.deadToo, "dead", "front"],
    ]);
    expect(rows[1]).toEqual({
      id: ids.dead,
      state: "dead",
      provider: "intercom",
      conversationId: "215002",
      url: "https://app.intercom.com/a/inbox/abc123/inbox/conversation/215002",
      followUpId: null,
      issue: "Codertocat/Hello-World#42",
      attempts: 1,
      noteDone: false,
      lastError: "Intercom: conversation not found (404)",
      lastStatus: 404,
      nextAttemptAt: expect.any(String),
      createdAt: expect.any(String),
      finishedAt: "2026-11-21T12:05:00.000Z",
    });
    expect(rows[0]).toMatchObject({ noteDone: true, lastError: null, followUpId: "90001" });
  });

  it("jobs shows the follow-up ticket a closed Zendesk ticket got", async () => {
    const io = capture();
    expect(await runCli(["jobs", "--state", "done"], io.out, io.error)).toBe(0);
    expect(io.lines).toEqual([
      "1 done reopen job",
      "id|state|provider|conversation|follow-up|issue|attempts|last error",
      `${ids.done}|done|zendesk|4001|90001|Codertocat/Hello-World#42|1|`,
    ]);
  });

  it("jobs --state dead shows the dead letters as a table", async () => {
    const io = capture();
    expect(await runCli(["jobs", "--state", "dead"], io.out, io.error)).toBe(0);
    // Then every kind's dead, from the job-kind registry (test/operations/job-kinds-surfaces.test.ts).
    expect(io.lines).toContain("  reopen jobs: 2 dead");
    expect(io.lines.slice(0, 4)).toEqual([
      "2 dead reopen jobs",
      "id|state|provider|conversation|follow-up|issue|attempts|last error",
      `${ids.dead}|dead|intercom|215002||Codertocat/Hello-World#42|1|Intercom: conversation not found (404)`,
      `${ids.deadToo}|dead|front|cnv_55c8c004||Codertocat/Hello-World#42|0|Front: provider not configured`,
    ]);
  });

  it("rejects an unknown --state with exit 2 and one line", async () => {
    const io = capture();
    expect(await runCli(["jobs", "--state", "failed"], io.out, io.error)).toBe(2);
    expect(io.errors).toEqual(["closeloop: jobs --state: expected one of pending, running, done, dead"]);
  });

  it("retry <job-id> puts a dead job back with a fresh attempt budget", async () => {
    const io = capture();
    expect(await runCli(["retry", String(ids.dead)], io.out, io.error)).toBe(0);
    expect(io.lines).toEqual([`job ${ids.dead} queued again; a running server picks it up`]);
    expect(await database.prisma.reopenJob.findUniqueOrThrow({ where: { id: ids.dead } })).toMatchObject({
      state: "pending",
      attempts: 0,
      finishedAt: null,
      lastError: "Intercom: conversation not found (404)",
    });
  });

  it("retry --dead puts every dead job back, every dead link note, and every conversation read for labels that died", async () => {
    await database.prisma.enrichJob.updateMany({
      where: { provider: "intercom" },
      data: { state: "dead", attempts: 15, lastError: "Intercom: server error (503)" },
    });
    await deadLinkNote();
    const io = capture();
    expect(await runCli(["retry", "--dead", "--json"], io.out, io.error)).toBe(0);
    expect(io.json()).toEqual({
      retried: 5,
      kinds: { delivery: 0, reopen: 2, linkNote: 1, enrichment: 2, summary: 0, answer: 0, backfill: 0 },
    });
    expect(
      await database.prisma.linkNote.findMany({ select: { state: true, attempts: true, finishedAt: true } }),
    ).toEqual([{ state: "pending", attempts: 0, finishedAt: null }]);
    expect(
      (await database.prisma.enrichJob.findMany({ where: { provider: "intercom" } })).map((job) => [
        job.state,
        job.attempts,
      ]),
    ).toEqual([
      ["pending", 0],
      ["pending", 0],
    ]);
    expect((await database.prisma.reopenJob.findMany({ orderBy: { id: "asc" } })).map((job) => job.state)).toEqual([
      "done",
      "pending",
      "pending",
      "pending",
    ]);
    const again = capture();
    expect(await runCli(["retry", "--dead"], again.out, again.error)).toBe(0);
    expect(again.lines).toEqual(["no dead jobs"]);
  });

  it.each([
    [["retry"], 2, "closeloop: usage: closeloop retry <job-id> | --dead"],
    [["retry", "1", "--dead"], 2, "closeloop: usage: closeloop retry <job-id> | --dead"],
    [["retry", "abc"], 2, "closeloop: retry: expected a job id (a number from `closeloop jobs`)"],
    [["retry", "99999"], 1, "closeloop: no job 99999"],
  ])("retry %j exits %i with one line", async (argv, code, message) => {
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(code);
    expect(io.errors).toEqual([message]);
  });

  it("retry refuses a done job", async () => {
    const io = capture();
    expect(await runCli(["retry", String(ids.done)], io.out, io.error)).toBe(1);
    expect(io.errors).toEqual([`closeloop: job ${ids.done} is done; nothing to retry`]);
  });

  it("status shows the queue depth and dead letters per provider", async () => {
    const json = capture();
    await runCli(["status", "--json"], json.out, json.error);
    const status = json.json() as { reopen: { providers: unknown[]; dead: unknown[] } };
    expect(status.reopen.providers).toEqual(
      expect.arrayContaining([
        { provider: "intercom", queued: 1, running: 0, done: 0, dead: 1 },
        { provider: "zendesk", queued: 0, running: 0, done: 1, dead: 0 },
        { provider: "front", queued: 0, running: 0, done: 0, dead: 1 },
      ]),
    );
    expect(status.reopen.providers).toHaveLength(3);
    expect(status.reopen.dead).toEqual([
      {
        id: ids.deadToo,
        provider: "front",
        conversationId: "cnv_55c8c004",
        issue: "Codertocat/Hello-World#42",
        attempts: 0,
        error: "Front: provider not configured",
        deadAt: "2026-11-21T12:06:00.000Z",
      },
      {
        id: ids.dead,
        provider: "intercom",
        conversationId: "215002",
        issue: "Codertocat/Hello-World#42",
        attempts: 1,
        error: "Intercom: conversation not found (404)",
        deadAt: "2026-11-21T12:05:00.000Z",
      },
    ]);

    const human = capture();
    await runCli(["status"], human.out, human.error);
    const reopen = human.lines.filter((line) => line.startsWith("reopen") || line.includes("dead job"));
    expect(reopen[0]).toMatch(/^reopen {6}/);
    expect(reopen[0]).toContain("intercom 1 queued, 1 dead");
    expect(reopen[0]).toContain("front 0 queued, 1 dead");
    expect(reopen.slice(1)).toEqual([
      `            dead job ${ids.deadToo}: front cnv_55c8c004 (Codertocat/Hello-World#42, 0 attempts): Front: provider not configured`,
      `            dead job ${ids.dead}: intercom 215002 (Codertocat/Hello-World#42, 1 attempt): Intercom: conversation not found (404)`,
    ]);
  });

  it("status shows the link notes per provider and the latest dead ones", async () => {
    const id = await deadLinkNote();
    const json = capture();
    await runCli(["status", "--json"], json.out, json.error);
    expect((json.json() as { linkNotes: unknown }).linkNotes).toEqual({
      providers: [{ provider: "zendesk", queued: 0, running: 0, done: 0, dead: 1 }],
      dead: [
        {
          id,
          provider: "zendesk",
          conversationId: "4001",
          issue: "Codertocat/Hello-World#42",
          attempts: 3,
          error: "Zendesk: ticket not found (404)",
          deadAt: "2026-11-21T12:07:00.000Z",
        },
      ],
    });
    const human = capture();
    await runCli(["status"], human.out, human.error);
    const notes = human.lines.filter((line) => line.startsWith("link notes") || line.includes("dead link note"));
    expect(notes).toEqual([
      expect.stringMatching(/^link notes {2}zendesk 0 queued( \(waiting: not configured\))?, 1 dead$/),
      `            dead link note ${id}: zendesk 4001 (Codertocat/Hello-World#42, 3 attempts): Zendesk: ticket not found (404)`,
    ]);
  });

  it("status shows the closes that reopened nothing because their closer lacked reopen.by", async () => {
    const refusal = "closed by mallory, whose permission on the repository is read, less than reopen.by (triage)";
    await recordIssueClose(database, issueRef(43), {
      closedAt: new Date("2026-11-22T08:00:00Z"),
      stateReason: "completed",
      closedBy: "mallory",
      reopen: false,
      refusal,
      note: "n",
      summary: true,
      details: "private",
      closedTickets: "follow_up",
    });
    const json = capture();
    await runCli(["status", "--json"], json.out, json.error);
    expect((json.json() as { reopen: { refused: unknown } }).reopen.refused).toEqual({
      count: 1,
      latest: [
        {
          issue: "Codertocat/Hello-World#43",
          closedAt: "2026-11-22T08:00:00.000Z",
          closedBy: "mallory",
          reason: refusal,
        },
      ],
    });
    const human = capture();
    await runCli(["status"], human.out, human.error);
    const index = human.lines.findIndex((line) => line.startsWith("refused"));
    expect(human.lines.slice(index, index + 2)).toEqual([
      "refused     1 close(s) reopened nothing: the closer lacked reopen.by",
      `            Codertocat/Hello-World#43 at 2026-11-22T08:00:00.000Z: ${refusal}`,
    ]);
  });

  it("status shows the enrichment queues, the last sweep, backfills and the helpdesk webhooks", async () => {
    // The four links of the close asked for their conversations' details; this process configures only Zendesk.
    const zendesk = {
      ZENDESK_SUBDOMAIN: "acme",
      ZENDESK_EMAIL: "agent@example.com",
      ZENDESK_API_TOKEN: "token",
      ZENDESK_WEBHOOK_SECRET: "whsec",
      // status asks each configured helpdesk who its credentials are: here a closed port, never the real acme.zendesk.com
      ZENDESK_API_URL: "http://127.0.0.1:9",
    };
    Object.assign(process.env, zendesk);
    onTestFinished(() => {
      for (const name of Object.keys(zendesk)) delete process.env[name];
    });
    const before = capture();
    await runCli(["status", "--json"], before.out, before.error);
    const status = before.json() as {
      enrichment: { providers: unknown[] };
      sweep: unknown;
      backfills: unknown;
      providers: unknown[];
    };
    expect(status.providers).toContainEqual({ id: "zendesk", enabled: true, webhook: true });
    expect(status.providers).toContainEqual({ id: "front", enabled: false, webhook: false });
    expect(status.backfills).toEqual({
      pending: 0,
      running: 0,
      done: 0,
      failed: 0,
      waitingForGithubUntil: null,
      failures: [],
    });
    expect(status.enrichment.providers).toEqual([
      { provider: "front", queued: 1, running: 0, done: 0, dead: 0 },
      { provider: "intercom", queued: 2, running: 0, done: 0, dead: 0 },
      { provider: "zendesk", queued: 1, running: 0, done: 0, dead: 0 },
    ]);
    expect(status.sweep).toBeNull();

    await claimSweep(
      database.prisma,
      database.engine,
      { owner: "replica", leaseMs: 60_000 },
      new Date("2027-01-01T00:00:00Z"),
    );
    await finishSweep(
      database.prisma,
      "replica",
      { issues: 12, links: 40, changed: 2, durationMs: 1234, error: null, nextRunAt: new Date("2027-01-01T01:00:00Z") },
      new Date("2027-01-01T00:00:01.234Z"),
    );
    const repositoryId = (await database.prisma.repository.findFirstOrThrow()).id;
    const at = new Date("2027-01-01T00:00:00Z");
    await database.prisma.backfill.create({
      data: {
        repositoryId,
        state: "failed",
        closedSince: at,
        requestedAt: at,
        finishedAt: at,
        lastError: "GitHub answered 403: Resource not accessible by integration",
      },
    });
    const human = capture();
    await runCli(["status"], human.out, human.error);
    expect(human.lines.find((line) => line.startsWith("providers"))).toContain("zendesk enabled + webhook");
    expect(human.lines.filter((line) => /^(backfill|\s+failed) /.test(line))).toEqual([
      "backfill    0 done, 0 to do, 1 failed",
      "            failed Codertocat/Hello-World: GitHub answered 403: Resource not accessible by integration",
    ]);
    // Run again, it waits for GitHub's rate limit to reset: until when is shown.
    const reset = new Date(Date.now() + 30 * 60_000);
    await database.prisma.backfill.update({
      where: { repositoryId },
      data: { state: "running", lockedBy: "replica", lockedUntil: reset, githubWaitUntil: reset },
    });
    const waiting = capture();
    await runCli(["status"], waiting.out, waiting.error);
    expect(waiting.lines.filter((line) => line.startsWith("backfill "))).toEqual([
      `backfill    0 done, 1 to do (1 running), 0 failed; waiting for GitHub's rate limit until ${reset.toISOString()}`,
    ]);
    expect(human.lines.filter((line) => /^(enrichment|sweep) /.test(line))).toEqual([
      "enrichment  front 1 queued (waiting: not configured), 0 dead; intercom 2 queued (waiting: not configured), 0 dead; zendesk 1 queued, 0 dead",
      "sweep       last 2027-01-01T00:00:01.234Z: 12 issue(s) due, 2 relabelled in 1.23s; next at 2027-01-01T01:00:00.000Z",
    ]);
  });
});
