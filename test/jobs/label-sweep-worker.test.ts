import nock from "nock";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { IssueMarkingsWorker } from "../../src/jobs/issue-markings-worker.js";
import { LabelSweepWorker, type LabelSweepOptions, type LabelSweepWiring } from "../../src/jobs/label-sweep-worker.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { markLabelsDue } from "../../src/store/labels.js";
import { listConfigErrors } from "../../src/store/config-errors.js";
import { claimSweep, finishSweep, readSweep, requestSweep } from "../../src/store/sweep-schedule.js";
import { ENGINES } from "../support/databases.js";
import { GITHUB_API, nockConfig, testProbot } from "../support/github.js";
import { issueRef, REPOSITORY } from "../support/reopen.js";
import { GithubMemory } from "../../src/github/memory.js";
import { captureLogs, useDatabase } from "../support/use-database.js";

const DAY = 86_400_000;
const NOW = new Date("2027-01-01T00:00:00Z");
const HOUR = 60 * 60_000;
/** an issue whose labels could not be applied is due again just after the sweep's clock: the next sweep takes it */
const AGAIN = new Date(NOW.getTime() + 1).toISOString();
const WEEKLY = "reported: weekly";
const { owner: OWNER, name: REPO } = REPOSITORY;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const labelPath = (number: number, name: string) =>
  `/repos/${OWNER}/${REPO}/issues/${number}/labels/${encodeURIComponent(name)}`;

describe.each(ENGINES)("the decay sweep worker on %s", (engine) => {
  const database = useDatabase(engine);
  let clock: Date;
  const { log, messages: logs } = captureLogs("debug");
  let made: string[];

  beforeEach(async () => {
    clock = NOW;
    made = [];
  });

  function worker(
    options: LabelSweepOptions & LabelSweepWiring = {},
    configs = new RepoConfigCache(database, log),
  ): LabelSweepWorker {
    const probot = testProbot();
    return new LabelSweepWorker(
      {
        prisma: database.prisma,
        target: database.target,
        github: (id) => probot.auth(id),
        configs,
        memory: new GithubMemory(),
        log,
        now: () => clock,
      },
      { intervalMs: HOUR, ...options },
    );
  }

  /** Issue `number` with reports posted `ages` days ago, carrying closeloop's `frequency` label, due at `due`. */
  async function issue(
    number: number,
    ages: number[],
    frequency: "weekly" | null,
    due: Date | null,
    team: string | null = null,
  ): Promise<void> {
    await applySourceChange(database, {
      issue: issueRef(number),
      source: { kind: "comment", key: String(number) },
      event: { action: "created", version: ago(30) },
      createdAt: ago(30),
      links: ages.map((_, n) => ({
        provider: "zendesk",
        account: "acme",
        conversationId: `${number}0${n}`,
        url: `https://acme.zendesk.com/agent/tickets/${number}0${n}`,
      })),
    });
    const links = await database.prisma.link.findMany({ where: { issue: { number } }, orderBy: { id: "asc" } });
    for (const [n, link] of links.entries())
      await database.prisma.link.update({ where: { id: link.id }, data: { linkedAt: ago(ages[n]!), team } });
    const row = await database.prisma.issue.findUniqueOrThrow({
      where: { repositoryId_number: { repositoryId: REPOSITORY.id, number } },
    });
    await database.prisma.labelEvaluation.create({ data: { issueId: row.id, frequency, dueAt: due } });
    if (frequency)
      await database.prisma.issueLabel.create({
        data: { issueId: row.id, key: WEEKLY, name: WEEKLY, present: true, seenAt: ago(20), applied: true },
      });
  }

  function github(
    method: "delete" | "post",
    path: string,
    reply: { status?: number; body?: unknown; headers?: Record<string, string> } = {},
  ): void {
    const scope = nock(GITHUB_API);
    (method === "delete" ? scope.delete(path) : scope.post(path)).reply((uri, body) => {
      made.push(`${method.toUpperCase()} ${decodeURIComponent(uri)}${body ? ` ${JSON.stringify(body)}` : ""}`);
      return [reply.status ?? 200, (reply.body ?? []) as nock.Body, { date: clock.toUTCString(), ...reply.headers }];
    });
  }

  const issues = async () =>
    (
      await database.prisma.issue.findMany({
        orderBy: { number: "asc" },
        include: { labels: true, evaluation: true },
      })
    ).map(
      ({ number, evaluation, labels }) =>
        `#${number} ${evaluation?.frequency ?? "none"}${evaluation?.staleAt ? " stale" : ""} due ${evaluation?.dueAt?.toISOString() ?? "-"} ${labels.map((label) => `${label.name}:${label.present ? "on" : "off"}`).join(",")}`,
    );

  it("takes the label off an issue whose reports stopped, with one DELETE, records its figures and sleeps until the next sweep", async () => {
    await issue(1, [15, 20], "weekly", ago(0.5)); // both reports left the 14-day window half a day ago
    await issue(2, [1, 2], "weekly", new Date(NOW.getTime() + 12 * DAY)); // still weekly, not due
    nockConfig(OWNER, REPO, null);
    github("delete", labelPath(1, WEEKLY));

    // both reports are older than the longest window: not read
    expect(await worker().runOnce()).toEqual({ issues: 1, links: 0, changed: 1, batches: 1 });
    expect(made).toEqual([`DELETE ${labelPath(1, WEEKLY).replace(encodeURIComponent(WEEKLY), WEEKLY)}`]);
    expect(await issues()).toEqual([
      `#1 none due - ${WEEKLY}:off`,
      `#2 weekly due ${new Date(NOW.getTime() + 12 * DAY).toISOString()} ${WEEKLY}:on`,
    ]);
    expect(await readSweep(database.prisma)).toMatchObject({
      runningSince: null,
      issues: 1,
      links: 0,
      changed: 1,
      error: null,
      nextRunAt: new Date(NOW.getTime() + HOUR),
    });
    expect(
      logs.filter((line) => line.startsWith("label sweep: ")).map((line) => line.replace(/in [\d.]+s$/, "in …s")),
    ).toEqual(["label sweep: 1 issue(s) due, 0 report(s), 1 relabelled, in …s"]);

    // Not due again before the interval: no sweep, no call.
    clock = new Date(NOW.getTime() + HOUR - 1);
    expect(await worker().runOnce()).toBeNull();
    clock = new Date(NOW.getTime() + HOUR);
    expect(await worker().runOnce()).toEqual({ issues: 0, links: 0, changed: 0, batches: 0 });
  });

  it.runIf(engine === "sqlite")(
    "gathers SQLite's planner statistics after the sweep, for the tables never analysed that hold rows",
    async () => {
      // sqlite_stat1 is made by the first analysis.
      const analysed = async () =>
        (
          await database.prisma.$queryRawUnsafe<unknown[]>(
            `SELECT 1 FROM "sqlite_master" WHERE "name" = 'sqlite_stat1'`,
          )
        ).length === 0
          ? []
          : (
              await database.prisma.$queryRawUnsafe<{ tbl: string }[]>(
                `SELECT DISTINCT "tbl" FROM "sqlite_stat1" WHERE "tbl" IN ('Link', 'IssueImpact', 'LabelEvaluation')`,
              )
            )
              .map((row) => row.tbl)
              .sort();
      await issue(1, [15, 20], null, ago(0.5));
      nockConfig(OWNER, REPO, null);
      expect(await analysed()).toEqual([]);
      expect(await worker().runOnce()).toEqual({ issues: 1, links: 0, changed: 0, batches: 1 });
      expect(await analysed()).toEqual(["LabelEvaluation", "Link"]);
    },
  );

  it.runIf(engine === "sqlite")(
    "gathers the statistics only once no webhook is arriving: analysing a table holds the event loop",
    async () => {
      await issue(1, [15, 20], null, ago(0.5));
      nockConfig(OWNER, REPO, null);
      let arriving = true;
      let sweptAt: number | undefined;
      const sweep = worker({ ingestActive: () => arriving })
        .runOnce()
        .then(() => (sweptAt = Date.now()));
      const statistics = () =>
        database.prisma.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM "sqlite_master" WHERE "name" = 'sqlite_stat1'`);
      // While webhooks arrive the statistics wait, and so does the end of the sweep (up to the hold-back's backstop).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect({ statistics: (await statistics()).length, swept: sweptAt }).toEqual({ statistics: 0, swept: undefined });
      arriving = false;
      await sweep;
      expect((await statistics()).length).toBe(1);
    },
  );

  it("runs on one replica at a time: a live lease keeps the others out, a dead replica's lease is taken over when it runs out", async () => {
    await issue(1, [15, 20], "weekly", ago(0.5));
    nockConfig(OWNER, REPO, null);
    github("delete", labelPath(1, WEEKLY));
    const results = await Promise.all([worker().runOnce(), worker().runOnce(), worker().runOnce()]);
    expect(results.filter((result) => result !== null)).toEqual([{ issues: 1, links: 0, changed: 1, batches: 1 }]);
    expect(made).toHaveLength(1);

    // A replica took the lease for the next sweep and died.
    clock = new Date(NOW.getTime() + HOUR);
    expect(
      await claimSweep(database.prisma, database.engine, { owner: "crashed replica", leaseMs: 2 * 60_000 }, clock),
    ).toBe(true);
    expect(await worker().runOnce()).toBeNull();
    expect((await readSweep(database.prisma))!.runningSince).toEqual(clock);
    clock = new Date(clock.getTime() + 2 * 60_000 + 1);
    expect(await worker().runOnce()).toEqual({ issues: 0, links: 0, changed: 0, batches: 0 });
  });

  it("stops at a GitHub rate limit until its Retry-After, losing nothing: the issues it could not relabel are swept then", async () => {
    await issue(1, [15, 20], "weekly", ago(0.5));
    await issue(2, [16, 17], "weekly", ago(0.5));
    nockConfig(OWNER, REPO, null);
    github("delete", labelPath(1, WEEKLY), {
      status: 403,
      body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." },
      headers: { "retry-after": "120" },
    });

    await worker().runOnce();
    expect(made).toEqual([`DELETE /repos/${OWNER}/${REPO}/issues/1/labels/${WEEKLY}`]);
    const sweep = await readSweep(database.prisma);
    expect(sweep).toMatchObject({ nextRunAt: new Date(NOW.getTime() + 120_000), runningSince: null });
    expect(sweep!.error).toContain("rate limit");
    expect(await issues()).toEqual([`#1 weekly due ${AGAIN} ${WEEKLY}:on`, `#2 weekly due ${AGAIN} ${WEEKLY}:on`]);

    clock = new Date(NOW.getTime() + 120_000);
    nockConfig(OWNER, REPO, null); // a new process: its config cache is empty
    github("delete", labelPath(1, WEEKLY));
    github("delete", labelPath(2, WEEKLY));
    expect(await worker().runOnce()).toMatchObject({ issues: 2, changed: 2 });
    expect(await issues()).toEqual([`#1 none due - ${WEEKLY}:off`, `#2 none due - ${WEEKLY}:off`]);
  });

  it("an issue GitHub fails for stays due and is tried again five minutes later; the others are relabelled", async () => {
    await issue(1, [15, 20], "weekly", ago(0.5));
    await issue(2, [16, 17], "weekly", ago(0.5));
    nockConfig(OWNER, REPO, null);
    github("delete", labelPath(1, WEEKLY), { status: 502, body: { message: "Server Error" } });
    github("delete", labelPath(2, WEEKLY));
    expect(await worker().runOnce()).toMatchObject({ issues: 2, changed: 2 });
    expect(await issues()).toEqual([`#1 weekly due ${AGAIN} ${WEEKLY}:on`, `#2 none due - ${WEEKLY}:off`]);
    expect((await readSweep(database.prisma))!.nextRunAt).toEqual(new Date(NOW.getTime() + 5 * 60_000));
    expect(
      logs.some((line) =>
        line.startsWith(
          `label sweep: could not apply the labels of ${OWNER}/${REPO}#1; trying again at the next sweep`,
        ),
      ),
    ).toBe(true);
  });

  it("applies the team labels of issues marked stale (the config changed), and brings the sweep forward when asked", async () => {
    await issue(1, [1], null, null, "Billing");
    const sweeper = worker();
    clock = new Date(NOW.getTime() - HOUR);
    expect(await sweeper.runOnce()).toEqual({ issues: 0, links: 0, changed: 0, batches: 0 }); // the next is due at NOW
    await database.prisma.labelEvaluation.updateMany({ data: { staleAt: clock, dueAt: clock } });
    expect(await sweeper.runOnce()).toBeNull();

    await sweeper.request();
    nockConfig(OWNER, REPO, null);
    github("post", `/repos/${OWNER}/${REPO}/issues/1/labels`, { body: [{ name: "team: billing" }] });
    const marked = () => database.prisma.issue.findFirstOrThrow({ select: { labelsMarkedAt: true } });
    const before = await marked();
    expect(await sweeper.runOnce()).toMatchObject({ issues: 1, changed: 1 });
    expect(made).toEqual([`POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["team: billing"]}`]);
    expect(await issues()).toEqual(["#1 none due - team: billing:on"]);
    // Its links did not change meanwhile: the sweep's write does not mark it again.
    expect(await marked()).toEqual(before);
  });

  it("applies a config pushed through another replica, though this replica still keeps the config it read before", async () => {
    await issue(1, [1], null, null, "Billing");
    const { id: issueId } = await database.prisma.issue.findFirstOrThrow({ where: { number: 1 } });
    await database.prisma.issueLabel.create({
      data: { issueId, key: "team: money", name: "team: money", present: true, seenAt: ago(1), applied: true },
    });
    // This replica read the config a moment ago (a webhook of the repository): Billing was "team: money".
    const configs = new RepoConfigCache(database, log);
    await configs.get(REPOSITORY, async () => ({ teams: { map: { Billing: "team: money" } } }));
    // The push that maps it to "team: cash" reached another replica, which marked the issues and asked for a sweep.
    await markLabelsDue(database.prisma, { repositoryId: REPOSITORY.id }, clock);
    await requestSweep(database.prisma, clock);

    nockConfig(OWNER, REPO, "teams:\n  map: { Billing: 'team: cash' }\n");
    github("post", `/repos/${OWNER}/${REPO}/issues/1/labels`, { body: [{ name: "team: cash" }] });
    github("delete", labelPath(1, "team: money"));
    expect(await worker({}, configs).runOnce()).toMatchObject({ issues: 1, changed: 1 });
    expect(made).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["team: cash"]}`,
      `DELETE ${labelPath(1, "team: money").replace(encodeURIComponent("team: money"), "team: money")}`,
    ]);
  });

  it("leaves a stale issue stale and due when GitHub does not answer the config's read, not applied with the kept one", async () => {
    await issue(1, [1], null, null, "Billing");
    const configs = new RepoConfigCache(database, log);
    await configs.get(REPOSITORY, async () => ({ teams: { map: { Billing: "team: money" } } }));
    await markLabelsDue(database.prisma, { repositoryId: REPOSITORY.id }, clock);
    nock(GITHUB_API)
      .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(".github/closeloop.yml")}`)
      .reply(502, { message: "Bad Gateway" });

    expect(await worker({}, configs).runOnce()).toMatchObject({ issues: 1, changed: 0 });
    expect(made).toEqual([]);
    expect(await issues()).toEqual([`#1 none stale due ${clock.toISOString()} `]);
    expect(await readSweep(database.prisma)).toMatchObject({ nextRunAt: new Date(clock.getTime() + 5 * 60_000) });
  });

  /** Issue #1 with a Billing report, marked stale (a config push), and GitHub answering the config's read `status`. */
  async function staleIssueWhoseConfigReadFails(status: number, message: string, headers: Record<string, string> = {}) {
    await issue(1, [1], null, null, "Billing");
    await markLabelsDue(database.prisma, { repositoryId: REPOSITORY.id }, clock);
    nock(GITHUB_API)
      .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(".github/closeloop.yml")}`)
      .reply(status, { message }, headers);
  }

  it.each([
    [403, "Resource not accessible by integration"],
    [451, "Repository access blocked"],
  ])(
    "settles a stale issue with the last good config when GitHub refuses the config's read (%s), and shows the operator why",
    async (status, message) => {
      const configs = new RepoConfigCache(database, log);
      await configs.get(REPOSITORY, async () => ({ teams: { map: { Billing: "team: money" } } }));
      await staleIssueWhoseConfigReadFails(status, message);
      github("post", `/repos/${OWNER}/${REPO}/issues/1/labels`, { body: [{ name: "team: money" }] });

      expect(await worker({}, configs).runOnce()).toMatchObject({ issues: 1, changed: 1 });
      expect(made).toEqual([`POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["team: money"]}`]);
      // Settled: not stale, not due, and the next sweep is not brought forward to try again.
      expect(await issues()).toEqual(["#1 none due - team: money:on"]);
      expect(await readSweep(database.prisma)).toMatchObject({ nextRunAt: new Date(clock.getTime() + HOUR) });
      expect(await listConfigErrors(database.prisma)).toEqual([
        expect.objectContaining({
          repository: `${OWNER}/${REPO}`,
          message: `.github/closeloop.yml: GitHub refused to let closeloop read it (${status}: ${message})`,
        }),
      ]);
    },
  );

  it("leaves a stale issue due when the config's read meets a rate limit, without recording a config error", async () => {
    await staleIssueWhoseConfigReadFails(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0" });

    expect(await worker().runOnce()).toMatchObject({ issues: 1, changed: 0 });
    expect(made).toEqual([]);
    expect(await issues()).toEqual([`#1 none stale due ${clock.toISOString()} `]);
    expect(await listConfigErrors(database.prisma)).toEqual([]);
  });

  it.each([
    ["", false],
    [", in the same millisecond as the mark the sweep read", true],
  ])(
    "has an issue's labels applied again when its links changed while the sweep's write was under way%s",
    async (_, frozen) => {
      // Frozen: every mark is made at one instant, the change's as the first's (two replicas within a millisecond).
      if (frozen) vi.useFakeTimers({ toFake: ["Date"] });
      try {
        await relabelledDuringWrite();
      } finally {
        vi.useRealTimers();
      }
    },
  );

  async function relabelledDuringWrite(): Promise<void> {
    await issue(1, [1], null, null, "Billing");
    await markLabelsDue(database.prisma, { repositoryId: REPOSITORY.id }, clock);
    // Another replica's markings job, with its own memory and config cache.
    const probot = testProbot();
    const markings = new IssueMarkingsWorker(
      {
        prisma: database.prisma,
        engine: database.engine,
        github: (id) => probot.auth(id),
        configs: new RepoConfigCache(database, log),
        memory: new GithubMemory(),
        log,
        now: () => clock,
      },
      { coalesceMs: 0 },
    );
    nockConfig(OWNER, REPO, null);
    nock(GITHUB_API)
      .post(`/repos/${OWNER}/${REPO}/issues/1/labels`)
      .reply(async (uri, body) => {
        made.push(`POST ${decodeURIComponent(uri)} ${JSON.stringify(body)}`);
        // While GitHub takes the sweep's add: the comment carrying the Billing link is deleted, and the other replica's
        // markings job applies that at once, finding nothing to take off yet.
        await applySourceChange(database, {
          issue: issueRef(1),
          source: { kind: "comment", key: "1" },
          event: { action: "deleted", version: ago(0) },
          createdAt: ago(30),
          links: [],
        });
        nockConfig(OWNER, REPO, null);
        expect(await markings.drain()).toBe(1);
        return [200, [{ name: "team: billing" }], { date: clock.toUTCString() }];
      });
    expect(await worker().runOnce()).toMatchObject({ issues: 1, changed: 1 });

    // The label the sweep added for a link that is gone comes off.
    github("delete", labelPath(1, "team: billing"));
    expect(await markings.drain()).toBe(1);
    expect(made).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["team: billing"]}`,
      `DELETE ${labelPath(1, "team: billing").replace(encodeURIComponent("team: billing"), "team: billing")}`,
    ]);
  }

  it("relabels at most maxIssuesPerSweep issues in one sweep; the rest follow in the next, sooner", async () => {
    await issue(1, [15, 20], "weekly", ago(0.5));
    await issue(2, [16, 17], "weekly", ago(0.5));
    nockConfig(OWNER, REPO, null);
    github("delete", labelPath(1, WEEKLY));
    await worker({ maxIssuesPerSweep: 1 }).runOnce();
    expect(await issues()).toEqual([`#1 none due - ${WEEKLY}:off`, `#2 weekly due ${AGAIN} ${WEEKLY}:on`]);
    expect(await readSweep(database.prisma)).toMatchObject({
      nextRunAt: new Date(NOW.getTime() + 5 * 60_000),
      error: "relabelled 1 issues, the most one sweep does; the rest follow in the next",
    });
  });

  it("skips an installation GitHub gives no token for, with one log line, and leaves its issues due", async () => {
    await issue(1, [15, 20], "weekly", ago(0.5));
    await issue(2, [16, 17], "weekly", ago(0.5));
    const warnings = log.child({}, { level: "warn" });
    let asked = 0;
    const sweeper = new LabelSweepWorker({
      prisma: database.prisma,
      target: database.target,
      github: async () => {
        asked++;
        throw Object.assign(new Error("This installation has been suspended"), { status: 403 });
      },
      configs: new RepoConfigCache(database, warnings),
      memory: new GithubMemory(),
      log: warnings,
      now: () => clock,
    });
    expect(await sweeper.runOnce()).toMatchObject({ changed: 0 });
    expect(asked).toBe(1);
    expect(logs).toEqual([
      `label sweep: cannot read the config of ${OWNER}/${REPO} (This installation has been suspended); its issues wait for the next sweep`,
    ]);
    expect(await issues()).toEqual([
      `#1 weekly due ${ago(0.5).toISOString()} ${WEEKLY}:on`,
      `#2 weekly due ${ago(0.5).toISOString()} ${WEEKLY}:on`,
    ]);
    expect((await readSweep(database.prisma))!.nextRunAt).toEqual(new Date(NOW.getTime() + 5 * 60_000));
  });

  it("keeps an issue marked while label writes to its repository are paused, and applies it when the pause ends", async () => {
    await issue(1, [1], null, null, "Billing");
    await database.prisma.labelEvaluation.updateMany({ data: { staleAt: ago(0.01), dueAt: ago(0.01) } });
    await database.prisma.labelError.create({
      data: {
        repositoryId: REPOSITORY.id,
        message: "GitHub answered 403: Resource not accessible by integration",
        seenAt: new Date(NOW.getTime() - 10 * 60_000),
      },
    });
    nockConfig(OWNER, REPO, null);
    expect(await worker().runOnce()).toMatchObject({ issues: 1, changed: 1 });
    expect(made).toEqual([]);
    const resume = new Date(NOW.getTime() + 50 * 60_000);
    expect(await issues()).toEqual([`#1 none stale due ${resume.toISOString()} `]);

    clock = resume;
    nockConfig(OWNER, REPO, null);
    github("post", `/repos/${OWNER}/${REPO}/issues/1/labels`, { body: [{ name: "team: billing" }] });
    await database.prisma.labelSweep.updateMany({ data: { nextRunAt: resume } });
    expect(await worker().runOnce()).toMatchObject({ issues: 1, changed: 1 });
    expect(made).toEqual([`POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["team: billing"]}`]);
    expect(await issues()).toEqual(["#1 none due - team: billing:on"]);
  });

  it("a sweep asked for while one runs comes right after it", async () => {
    expect(await claimSweep(database.prisma, database.engine, { owner: "replica a", leaseMs: 60_000 }, NOW)).toBe(true);
    await requestSweep(database.prisma, new Date(NOW.getTime() + 1_000));
    await finishSweep(
      database.prisma,
      "replica a",
      { issues: 0, links: 0, changed: 0, durationMs: 2_000, error: null, nextRunAt: new Date(NOW.getTime() + HOUR) },
      new Date(NOW.getTime() + 2_000),
    );
    expect((await readSweep(database.prisma))!.nextRunAt).toEqual(new Date(NOW.getTime() + 2_000));
    // Without a request meanwhile, the next is an interval away.
    expect(
      await claimSweep(
        database.prisma,
        database.engine,
        { owner: "replica b", leaseMs: 60_000 },
        new Date(NOW.getTime() + 3_000),
      ),
    ).toBe(true);
    await finishSweep(
      database.prisma,
      "replica b",
      { issues: 0, links: 0, changed: 0, durationMs: 1_000, error: null, nextRunAt: new Date(NOW.getTime() + HOUR) },
      new Date(NOW.getTime() + 4_000),
    );
    expect((await readSweep(database.prisma))!.nextRunAt).toEqual(new Date(NOW.getTime() + HOUR));
  });
});
