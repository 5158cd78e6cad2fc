import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../fakes/github-server.js";
import { startFakeIntercom, type FakeIntercom } from "../fakes/intercom-server.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { startApp, type RunningApp } from "../support/process.js";
import { waitFor } from "../support/wait.js";
import { appEnv, deliverClose, kill, seedIssues } from "../support/reopen-process.js";

/**
 * R1 (SPEC §10): the app as a child process reopening 1,000 linked conversations is killed with SIGKILL at random
 * points, several times, and restarted. At the end every conversation was reopened, none is missing, and the
 * duplicate calls are bounded by the jobs that were in flight (leased) at the kills.
 */
const ISSUES = 4;
const LINKS_PER_ISSUE = 250;
const KILLS = 5;

describe.each(ENGINES)("R1: kill -9 while reopening %s", (engine) => {
  const github = new FakeGitHub();
  let intercom: FakeIntercom;
  let database: Database;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    intercom = await startFakeIntercom();
  });
  afterAll(async () => {
    if (app) await kill(app);
    await database?.close();
    await intercom?.close();
    await github.stop();
  });

  it(`reopens all ${ISSUES * LINKS_PER_ISSUE} conversations across ${KILLS} SIGKILLs; duplicates stay within the jobs in flight`, { timeout: 90_000 }, async () => {
    const host = await github.start();
    const url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
    const ids = await seedIssues(database, intercom, ISSUES, LINKS_PER_ISSUE);
    const env = appEnv(host, url, intercom);

    app = await startApp(env);
    for (let number = 1; number <= ISSUES; number++) await deliverClose(app, number);

    const inFlight: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 1_800));
      await kill(app);
      // Leased at the moment of death: the most that can have been sent without being recorded.
      inFlight.push(await database.prisma.reopenJob.count({ where: { state: "running" } }));
      app = await startApp(env);
    }

    await waitFor(
      async () =>
        (await database.prisma.issueClose.count()) === ISSUES &&
        (await database.prisma.reopenJob.count({ where: { state: { not: "done" } } })) === 0 && (await database.prisma.issueClose.count({ where: { summaryCommentId: null } })) === 0,
      60_000,
      "every job done and every summary written",
    );

    const jobs = await database.prisma.reopenJob.count();
    const reopened = ids.map((id) => intercom.conversations.get(id)!);
    const missing = reopened.filter((c) => c.state !== "open" || c.reopened === 0).length;
    const extraReopens = reopened.reduce((sum, c) => sum + Math.max(0, c.reopened - 1), 0);
    const extraNotes = reopened.reduce((sum, c) => sum + Math.max(0, c.notes.length - 1), 0);
    const bound = inFlight.reduce((sum, n) => sum + n, 0);
    console.log(`R1 ${engine}: ${jobs} jobs, ${KILLS} kills, in flight at each kill ${inFlight.join("/")} (sum ${bound}); duplicate reopens ${extraReopens}, duplicate notes ${extraNotes}, missing ${missing}`);

    expect(jobs).toBe(ISSUES * LINKS_PER_ISSUE);
    expect(missing).toBe(0);
    expect(reopened.every((c) => c.notes.length >= 1)).toBe(true);
    expect(extraReopens).toBeLessThanOrEqual(bound);
    expect(extraNotes).toBeLessThanOrEqual(bound);
    // One summary per issue: a kill between posting and recording it is healed by the marker, not by a second post.
    const perIssue = new Map<string, number>();
    for (const comment of github.comments.values()) perIssue.set(comment.issue, (perIssue.get(comment.issue) ?? 0) + 1);
    expect(perIssue.size).toBe(ISSUES);
    expect([...perIssue.values()].every((n) => n === 1)).toBe(true);
    for (const comment of github.comments.values()) expect(comment.body).toContain(`reopened ${LINKS_PER_ISSUE} of ${LINKS_PER_ISSUE} linked conversations`);
  });
});
