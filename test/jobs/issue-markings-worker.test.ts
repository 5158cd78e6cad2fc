import nock from "nock";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IssueMarkingsWorker, type IssueMarkingsWorkerOptions } from "../../src/jobs/issue-markings-worker.js";
import { markLabelsWanted } from "../../src/store/issue-markings.js";
import { requestSweep } from "../../src/store/sweep-schedule.js";
import { readRepository } from "../../src/store/repositories.js";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { startHarness, TEST_NOW, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { GITHUB_API, nockConfig, receive, webhookExample } from "../support/github.js";
import { markingsRun } from "../support/markings.js";
import { waitFor } from "../support/wait.js";

const OWNER = "Codertocat";
const REPO = "Hello-World";
const DAILY = "reported: daily";
const at = (hour: number) => `2026-12-31T${String(hour).padStart(2, "0")}:00:00Z`;

function comment(id: number, ticket: number, hour: number): Record<string, any> {
  const payload = webhookExample<Record<string, any>>("issue_comment", "created");
  payload.installation = { id: 77, node_id: "x" };
  Object.assign(payload.comment, {
    id,
    body: `Another customer: https://acme.zendesk.com/agent/tickets/${ticket}`,
    created_at: at(hour),
    updated_at: at(hour),
  });
  Object.assign(payload.issue, { labels: [], updated_at: at(hour) });
  return payload;
}

describe.each(ENGINES)("the markings job on %s", (engine) => {
  let harness: Harness;
  const labelCalls: string[] = [];
  const worker = (options: IssueMarkingsWorkerOptions = {}) =>
    new IssueMarkingsWorker(
      {
        prisma: harness.database.prisma,
        engine: harness.database.engine,
        github: (id) => harness.probot.auth(id),
        configs: harness.deps.configs,
        memory: harness.deps.memory,
        log: pino({ level: "silent" }),
        now: () => TEST_NOW,
      },
      { coalesceMs: 0, ...options },
    );
  const issue = () => harness.database.prisma.issue.findFirstOrThrow({ include: { evaluation: true } });
  const nockLabel = (method: "post", path: string, status = 200) =>
    nock(GITHUB_API)
      .post(path)
      .reply(
        status,
        (uri, body) => (
          labelCalls.push(`${method.toUpperCase()} ${decodeURIComponent(uri)} ${JSON.stringify(body)}`),
          status === 200 || status === 201 ? [] : { message: "boom" }
        ),
      );

  beforeEach(async () => {
    harness = await startHarness(engine);
    // The deliveries only mark the labels wanted; each test runs the markings job itself.
    delete harness.deps.labelsWanted;
    labelCalls.length = 0;
  });
  afterEach(async () => {
    await harness.close();
  });

  it("makes one label update for five linking comments on one issue in a burst, and none on the delivery path", async () => {
    nockConfig(OWNER, REPO, null);
    for (let n = 1; n <= 5; n++) await receive(harness.probot, "issue_comment", comment(n, 100 + n, n));
    expect(await harness.database.prisma.link.count()).toBe(5);
    expect(await issue()).toMatchObject({ lockedBy: null });
    expect((await issue()).labelsWantedAt).not.toBeNull();

    // Five reports in a day: daily at once, never weekly first; the repository's label created with its colour.
    nockLabel("post", `/repos/${OWNER}/${REPO}/labels`, 201);
    nockLabel("post", `/repos/${OWNER}/${REPO}/issues/1/labels`);
    expect(await worker().drain()).toBe(1);
    expect(labelCalls).toEqual([
      `POST /repos/${OWNER}/${REPO}/labels {"name":"${DAILY}","color":"b60205","description":"closeloop: 5+ customer reports in the last 7 days"}`,
      `POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["${DAILY}"]}`,
    ]);
    expect(await issue()).toMatchObject({
      labelsWantedAt: null,
      lockedBy: null,
      labelsAttempts: 0,
      evaluation: { frequency: "daily" },
    });
    // Nothing left to do: no job, no call.
    expect(await worker().drain()).toBe(0);
  });

  it("applies a config pushed through another replica, though this replica still keeps the config it read before", async () => {
    nockConfig(OWNER, REPO, null);
    await receive(harness.probot, "issue_comment", comment(1, 101, 1));
    await harness.database.prisma.link.updateMany({ data: { team: "Billing" } });
    const repository = (await readRepository(harness.database.prisma, 186853002n))!;
    // This replica read the config a moment ago (a webhook of the repository): Billing was "team: money".
    const configs = new RepoConfigCache(harness.database, pino({ level: "silent" }));
    await configs.get(repository, async () => ({ teams: { map: { Billing: "team: money" } } }));
    // The push that maps it to "team: cash" reached another replica, which asked for a sweep.
    await requestSweep(harness.database.prisma);

    nockConfig(OWNER, REPO, "teams:\n  map: { Billing: 'team: cash' }\n");
    nockLabel("post", `/repos/${OWNER}/${REPO}/issues/1/labels`);
    const replica = new IssueMarkingsWorker(
      {
        prisma: harness.database.prisma,
        engine: harness.database.engine,
        github: (id) => harness.probot.auth(id),
        configs,
        memory: harness.deps.memory,
        log: pino({ level: "silent" }),
        now: () => TEST_NOW,
      },
      { coalesceMs: 0 },
    );
    expect(await replica.drain()).toBe(1);
    expect(labelCalls).toEqual([`POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["team: cash"]}`]);

    // The push is noticed once: the next claim plans with the config read after it, not read again.
    await markLabelsWanted(harness.database.prisma, [(await issue()).id], new Date());
    expect(await replica.drain()).toBe(1);
    expect(labelCalls).toHaveLength(1);
  });

  it("claims nothing while webhooks arrive in a burst, and applies the labels right after it", async () => {
    nockConfig(OWNER, REPO, null);
    for (let n = 1; n <= 5; n++) await receive(harness.probot, "issue_comment", comment(n, 100 + n, n));
    let burst = true;
    let looks = 0;
    const running = worker({
      idlePollMs: 10,
      ingestActive: () => (looks++, burst),
    });
    running.start();
    try {
      await waitFor(async () => looks >= 3, 10_000, "the worker to look at the arrivals three times");
      // Held back: no claim, no GitHub call (an unmatched request would fail the test).
      expect(await issue()).toMatchObject({ lockedBy: null, labelsAttempts: 0 });
      expect((await issue()).labelsWantedAt).not.toBeNull();
      nockLabel("post", `/repos/${OWNER}/${REPO}/labels`, 201);
      nockLabel("post", `/repos/${OWNER}/${REPO}/issues/1/labels`);
      burst = false;
      await waitFor(async () => (await issue()).labelsWantedAt === null, 10_000, "the labels to be applied");
      expect(labelCalls.map((call) => call.split(" {")[0])).toEqual([
        `POST /repos/${OWNER}/${REPO}/labels`,
        `POST /repos/${OWNER}/${REPO}/issues/1/labels`,
      ]);
    } finally {
      await running.stop();
    }
  });

  it("starts no more of the issues it claimed while webhooks arrive, waiting for half a second's quiet", async () => {
    nockConfig(OWNER, REPO, null);
    // Two issues with two linking comments each (a label for both): one claim of both.
    for (const number of [1, 2])
      for (const hour of [1, 2]) {
        const payload = comment(number * 10 + hour, number * 100 + hour, hour);
        Object.assign(payload.issue, { number, id: 5000 + number, node_id: `I_${number}` });
        await receive(harness.probot, "issue_comment", payload);
      }
    nockLabel("post", `/repos/${OWNER}/${REPO}/labels`, 201);
    nockLabel("post", `/repos/${OWNER}/${REPO}/issues/1/labels`);
    let burst: boolean | undefined;
    let looks = 0;
    const asked = new Set<number | undefined>();
    const running = worker({
      idlePollMs: 10,
      ingestActive: (quietMs) => {
        asked.add(quietMs);
        looks++;
        // A burst begins once the first issue's labels were written.
        if (labelCalls.length === 2) burst ??= true;
        return burst ?? false;
      },
    });
    running.start();
    try {
      await waitFor(async () => labelCalls.length === 2 && looks >= 6, 10_000, "the first issue's labels, then looks");
      // The second issue's labels are not written during the burst (an unmatched request would fail the test).
      expect(labelCalls.map((call) => call.split(" {")[0])).toEqual([
        `POST /repos/${OWNER}/${REPO}/labels`,
        `POST /repos/${OWNER}/${REPO}/issues/1/labels`,
      ]);
      expect([...asked]).toEqual([500]);
      nockLabel("post", `/repos/${OWNER}/${REPO}/issues/2/labels`);
      burst = false;
      await waitFor(async () => labelCalls.length === 3, 10_000, "the second issue's labels");
      expect(labelCalls[2]).toContain(`/issues/2/labels`);
    } finally {
      await running.stop();
    }
  });

  it("waits for the coalescing window before applying", async () => {
    nockConfig(OWNER, REPO, null);
    await receive(harness.probot, "issue_comment", comment(1, 101, 1));
    expect(await worker({ coalesceMs: 60_000 }).drain()).toBe(0);
    expect((await issue()).labelsWantedAt).not.toBeNull();
  });

  it("woken by a mark, looks again once the mark's window has passed, not only at its next idle poll", async () => {
    // P8 (#25): woken at once, it found the mark not yet due and slept until its idle poll; under a stream of
    // deliveries, every wake claimed the one mark that had just come due, a claim per issue.
    nockConfig(OWNER, REPO, null);
    await receive(harness.probot, "issue_comment", comment(1, 101, 1));
    const running = worker({ coalesceMs: 1_500, idlePollMs: 600_000 });
    running.start();
    try {
      running.wake();
      await waitFor(async () => (await issue()).labelsWantedAt === null, 20_000, "the mark applied");
    } finally {
      await running.stop();
    }
  });

  it("runs again when the links changed while it ran, and is done after that", async () => {
    nockConfig(OWNER, REPO, null);
    await receive(harness.probot, "issue_comment", comment(1, 101, 1));
    const run = markingsRun(harness.database, "w");
    const [job] = await run.claim();
    const later = new Date(Date.now() + 5);
    await markLabelsWanted(harness.database.prisma, [job!.issueId], later);
    expect(await run.applied(job!)).toBe(true);
    expect(await issue()).toMatchObject({ labelsWantedAt: later, lockedBy: null });

    const [again] = await run.claim(new Date(later.getTime() + 1));
    expect(await run.applied(again!)).toBe(true);
    expect((await issue()).labelsWantedAt).toBeNull();
  });

  it("applies a change marked in the same millisecond as the mark its run claimed, after that run", async () => {
    // Two deliveries within one millisecond (two replicas, or a delivery beside the sweep): the clock stands still.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2027-01-01T09:00:00.123Z"));
      nockConfig(OWNER, REPO, null);
      await receive(harness.probot, "issue_comment", comment(1, 101, 1));
      const run = markingsRun(harness.database, "w");
      const [job] = await run.claim();
      // The run read the issue's one link (no label wanted); a second link comes before it settles.
      await receive(harness.probot, "issue_comment", comment(2, 102, 2));
      expect(await run.applied(job!)).toBe(true);

      // Two reports: the weekly label, applied by the job's next run rather than days later by the decay sweep.
      vi.setSystemTime(new Date("2027-01-01T09:00:01.123Z"));
      nockLabel("post", `/repos/${OWNER}/${REPO}/labels`, 201);
      nockLabel("post", `/repos/${OWNER}/${REPO}/issues/1/labels`);
      expect(await worker().drain()).toBe(1);
      expect(labelCalls.at(-1)).toBe(`POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["reported: weekly"]}`);
    } finally {
      vi.useRealTimers();
    }
  });

  it("retries a failing write with backoff, and after its last attempt leaves the issue stale for the decay sweep", async () => {
    nockConfig(OWNER, REPO, null);
    await receive(harness.probot, "issue_comment", comment(1, 101, 1));
    await receive(harness.probot, "issue_comment", comment(2, 102, 2));
    nockLabel("post", `/repos/${OWNER}/${REPO}/labels`, 201);
    nockLabel("post", `/repos/${OWNER}/${REPO}/issues/1/labels`, 500);
    const before = Date.now();
    expect(await worker({ maxAttempts: 2, backoffBaseMs: 60_000, backoffMaxMs: 60_000 }).drain()).toBe(1);
    const retried = await issue();
    expect(retried).toMatchObject({ lockedBy: null, labelsAttempts: 1 });
    expect(retried.evaluation?.staleAt ?? null).toBeNull();
    expect(retried.labelsWantedAt!.getTime()).toBeGreaterThanOrEqual(before + 30_000);

    // Its retry time comes; the second and last attempt fails too.
    await harness.database.prisma.issue.updateMany({ data: { labelsWantedAt: new Date(Date.now() - 1) } });
    nockLabel("post", `/repos/${OWNER}/${REPO}/issues/1/labels`, 500);
    expect(await worker({ maxAttempts: 2 }).drain()).toBe(1);
    const abandoned = await issue();
    expect(abandoned).toMatchObject({ labelsWantedAt: null, lockedBy: null, labelsAttempts: 0 });
    expect(abandoned.evaluation!.staleAt).not.toBeNull();
    expect(abandoned.evaluation!.dueAt).not.toBeNull();
    expect(labelCalls.filter((call) => call.includes("/issues/1/labels"))).toHaveLength(2);
  });
});
