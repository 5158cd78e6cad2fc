import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { FakeGitHub } from "../fakes/github-server.js";
import { startFakeIntercom, type FakeIntercom } from "../providers/intercom/fake-server.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { startApp, type RunningApp } from "../support/process.js";
import { PROGRESSING_TIMEOUT_MS, waitForProgress } from "../support/wait.js";
import { appEnv, deliverClose, reopenProgress, seedIssues, stopApp } from "../support/reopen-process.js";

/**
 * R5 (README, Development): three app processes on one PostgreSQL database share 2,000 reopen jobs; each job runs exactly once
 * (one note and one reopen per conversation, counted by the fake helpdesk), and all three take part.
 */
const REPLICAS = 3;
const ISSUES = 8;
const LINKS_PER_ISSUE = 250;

describe("R5: three replicas on PostgreSQL", () => {
  const github = new FakeGitHub();
  let intercom: FakeIntercom | undefined;
  let database: Database | undefined;
  const apps: RunningApp[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((app) => stopApp(app)));
    await database?.close();
    await intercom?.close();
    await github.stop();
  });

  it(`run each of ${ISSUES * LINKS_PER_ISSUE} jobs exactly once`, { timeout: PROGRESSING_TIMEOUT_MS }, async () => {
    const host = await github.start();
    intercom = await startFakeIntercom();
    const url = await freshDatabaseUrl("postgresql");
    database = await openDatabase(url, { migrate: true });
    const ids = await seedIssues(database, intercom, ISSUES, LINKS_PER_ISSUE);
    // No process dies here: the default lease, so a replica starved of CPU for a moment keeps its jobs.
    const env = { ...appEnv(host, url, intercom), CLOSELOOP_REOPEN_LEASE_SECONDS: "30" };
    apps.push(...(await Promise.all(Array.from({ length: REPLICAS }, () => startApp(env)))));
    // Closes arrive at different replicas, as behind a load balancer.
    for (let number = 1; number <= ISSUES; number++) await deliverClose(apps[number % REPLICAS]!, number);

    const db = database;
    // However slow the machine (two test files on two cores), the replicas keep finishing jobs: fail only when none
    // finishes for 30 s, never on a fixed total.
    await waitForProgress(
      () => reopenProgress(db, ISSUES, ISSUES * LINKS_PER_ISSUE),
      30_000,
      "every job done and every summary written",
    );

    expect(await db.prisma.reopenJob.count()).toBe(ISSUES * LINKS_PER_ISSUE);
    const calls = new Map<string, number>();
    for (const request of intercom.http.requests) {
      const id = /^\/conversations\/(\d+)\/(reply|parts)$/.exec(request.path);
      if (id) calls.set(`${id[1]}/${id[2]}`, (calls.get(`${id[1]}/${id[2]}`) ?? 0) + 1);
    }
    const once = ids.filter((id) => calls.get(`${id}/reply`) === 1 && calls.get(`${id}/parts`) === 1).length;
    const conversations = ids.map((id) => intercom!.conversations.get(id)!);
    expect(once).toBe(ids.length);
    expect(conversations.every((c) => c.state === "open" && c.reopened === 1 && c.notes.length === 1)).toBe(true);
    // A second claim only ever follows a failed call (the machine being starved can time one out), never a lost lease.
    expect(await db.prisma.reopenJob.count({ where: { attempts: { not: 1 }, lastError: null } })).toBe(0);

    // Who ran what, from each process's own log: disjoint, complete, and shared.
    const ran = apps.map((app) =>
      [...app.output().matchAll(/reopen: reopened Intercom conversation \d+ with a note \(job (\d+)\)/g)].map((m) =>
        Number(m[1]),
      ),
    );
    const all = ran.flat();
    console.log(
      `R5: ${all.length} jobs over ${REPLICAS} replicas (${ran.map((r) => r.length).join(" / ")}); conversations with exactly one note and one reopen: ${once} of ${ids.length}`,
    );
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(ISSUES * LINKS_PER_ISSUE);
    expect(ran.every((jobs) => jobs.length > 0)).toBe(true);
    expect(github.comments.size).toBe(ISSUES);
    // SIGTERM stops the inbox and helpdesk workers and exits.
    expect(await Promise.all(apps.map((app) => stopApp(app)))).toEqual(apps.map(() => "stopped"));
  });
});
