import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { impactCsv, impactJson, rankIssues, type ImpactRow } from "../../src/dashboard/impact.js";
import { DEFAULT_IMPACT_QUERY, type ImpactQuery } from "../../src/domain/impact-query.js";
import type { ProviderId } from "../../src/domain/link.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordIssueClose, recordIssueReopen } from "../../src/store/issues.js";
import { transferIssue } from "../../src/store/links.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

const row = (change: Partial<ImpactRow> = {}): ImpactRow => ({
  repository: "octo/app",
  number: 1,
  title: "Checkout fails",
  state: "open",
  url: "https://github.com/octo/app/issues/1",
  reports: 3,
  customers: 2,
  frequency: "reported: weekly",
  teams: ["team: billing", "team: web"],
  helpdesks: ["zendesk", "front"],
  waiting: 2,
  firstReportAt: new Date("2026-12-30T10:00:00Z"),
  lastReportAt: new Date("2026-12-31T10:00:00Z"),
  openedAt: new Date("2026-11-01T00:00:00Z"),
  perDay: [0, 1, 2],
  ...change,
});

describe("impactCsv", () => {
  const header =
    "repository,number,title,state,url,reports,customers,frequency,teams,helpdesks,first_report_at,last_report_at,opened_at,per_day,waiting";

  it("writes a header and one line per row", () => {
    expect(impactCsv([row()])).toBe(
      `${header}\r\nocto/app,1,Checkout fails,open,https://github.com/octo/app/issues/1,3,2,reported: weekly,team: billing; team: web,zendesk; front,2026-12-30T10:00:00.000Z,2026-12-31T10:00:00.000Z,2026-11-01T00:00:00.000Z,0 1 2,2\r\n`,
    );
    expect(impactCsv([])).toBe(`${header}\r\n`);
  });

  it.each([
    ['Say "hi", please', '"Say ""hi"", please"'],
    ["two\nlines", '"two\nlines"'],
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
    ["+1 more", "'+1 more"],
    ["-2", "'-2"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tcmd", "'\tcmd"],
    [null, ""],
    ["a = b", "a = b"],
  ])("title %j is written %s", (title, cell) => {
    const line = impactCsv([row({ title, teams: [], frequency: null })]).split("\r\n")[1]!;
    expect(line.slice("octo/app,1,".length, line.indexOf(",open,"))).toBe(cell);
  });

  it("neutralises a label name that starts a formula", () => {
    expect(impactCsv([row({ teams: ["=cmd"], frequency: "-x" })]).split("\r\n")[1]).toContain(",'-x,'=cmd,");
  });
});

describe("impactJson", () => {
  it("writes dates as ISO strings and the total", () => {
    expect(
      impactJson({
        rows: [row({ lastReportAt: null })],
        nextPage: false,
        total: 7,
        totalCapped: false,
        complete: true,
      }),
    ).toEqual({
      total: 7,
      totalCapped: false,
      complete: true,
      issues: [
        {
          repository: "octo/app",
          number: 1,
          title: "Checkout fails",
          state: "open",
          url: "https://github.com/octo/app/issues/1",
          reports: 3,
          customers: 2,
          frequency: "reported: weekly",
          teams: ["team: billing", "team: web"],
          helpdesks: ["zendesk", "front"],
          waiting: 2,
          firstReportAt: "2026-12-30T10:00:00.000Z",
          lastReportAt: null,
          openedAt: "2026-11-01T00:00:00.000Z",
          perDay: [0, 1, 2],
        },
      ],
    });
  });
});

const NOW = new Date("2027-01-01T00:00:00Z");
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const REPOSITORIES = {
  app: { id: 10n, installationId: 1n, owner: "Octo", name: "App" },
  other: { id: 20n, installationId: 1n, owner: "Octo", name: "Other" },
  secret: { id: 30n, installationId: 2n, owner: "Else", name: "Secret" },
} as const;

describe.each(ENGINES)("rankIssues on %s", (engine) => {
  let database: Database;
  let conversation = 0;

  /** One comment on the issue linking one conversation, posted `days` ago, of `customer` when known. */
  async function report(
    repository: keyof typeof REPOSITORIES,
    number: number,
    days: number,
    customer: string | null = null,
    provider: ProviderId = "zendesk",
    state: "open" | "closed" = "open",
  ) {
    const id = String(++conversation);
    const at = ago(days);
    await applySourceChange(database, {
      issue: { repository: REPOSITORIES[repository], number, githubId: BigInt(number), state },
      source: { kind: "comment", key: id },
      event: { action: "created", version: at },
      createdAt: at,
      links: [
        {
          provider,
          account: provider === "zendesk" ? "acme" : "",
          conversationId: id,
          url: `https://example.com/${provider}/${id}`,
        },
      ],
    });
    if (customer !== null)
      await database.prisma.link.updateMany({ where: { conversationId: id }, data: { customerHash: customer } });
    return id;
  }

  async function issue(
    repository: keyof typeof REPOSITORIES,
    number: number,
    data: { title?: string; openedAt?: Date; state?: string },
  ) {
    await database.prisma.issue.updateMany({ where: { repositoryId: REPOSITORIES[repository].id, number }, data });
  }

  async function label(
    repository: keyof typeof REPOSITORIES,
    number: number,
    name: string,
    kind: string | null,
    present = true,
  ) {
    const found = await database.prisma.issue.findFirstOrThrow({
      where: { repositoryId: REPOSITORIES[repository].id, number },
    });
    await database.prisma.issueLabel.create({
      data: { issueId: found.id, key: name.toLowerCase(), name, present, seenAt: NOW, applied: kind !== null, kind },
    });
  }

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    // app#1: 30 days: h1 twice (once), one unknown, h2 at 20 days → 3 reports, 2 customers; 7 days: 2 reports, 1 customer
    await report("app", 1, 1);
    await report("app", 1, 2, "h1");
    await report("app", 1, 3, "h1", "front");
    await report("app", 1, 20, "h2");
    await issue("app", 1, { title: "Checkout fails", openedAt: ago(100) });
    await label("app", 1, "reported: weekly", "frequency");
    await label("app", 1, "Team: Billing", "team");
    await label("app", 1, "team: web", "team", false);
    await label("app", 1, "bug", null);
    // app#2: one report 40 days ago: only in the 90-day window
    await report("app", 2, 40, "h9", "intercom");
    await issue("app", 2, { title: "Old", openedAt: ago(50) });
    // app#3: a report exactly 7 days old (in the 7-day window), and one whose comment was deleted (not a report)
    await report("app", 3, 7);
    const gone = await report("app", 3, 0.5);
    await applySourceChange(database, {
      issue: { repository: REPOSITORIES.app, number: 3, githubId: 3n, state: "open" },
      source: { kind: "comment", key: gone },
      event: { action: "deleted", version: ago(0.4) },
      createdAt: ago(0.5),
      links: [],
    });
    await issue("app", 3, { title: "Edge", openedAt: ago(10) });
    // other#5: three customers, the latest report
    await report("other", 5, 0.25, "h3", "front");
    await report("other", 5, 4, "h4");
    await report("other", 5, 6, "h5");
    await issue("other", 5, { title: "Slow search" });
    await label("other", 5, "team: search", "team");
    // other#6: closed, five reports
    for (const days of [1, 2, 3, 4, 5]) await report("other", 6, days);
    await issue("other", 6, { title: "Closed one", openedAt: ago(200), state: "closed" });
    // secret#9: ten reports, in a repository outside the scope
    for (let n = 0; n < 10; n++) await report("secret", 9, 1);
    // other#7: closed, one report, two customers still waiting since its close reopened them (one answered)
    await report("other", 7, 2);
    await issue("other", 7, { title: "Two still wait", state: "closed" });
    await watched("other", 7, [null, null, "answered"]);
    // other#6: one waits, one was closed without an answer; app#1 (open again) had a close that left one waiting
    await watched("other", 6, [null, "closed"]);
    await watched("app", 1, [null]);
  });

  /** A close of the issue that reopened one conversation per outcome given, each watched for its answer. */
  async function watched(
    repository: keyof typeof REPOSITORIES,
    number: number,
    outcomes: ("answered" | "closed" | null)[],
  ) {
    const found = await database.prisma.issue.findFirstOrThrow({
      where: { repositoryId: REPOSITORIES[repository].id, number },
    });
    const close = await database.prisma.issueClose.create({
      data: { issueId: found.id, closedAt: ago(1), reason: "completed", note: "n", summary: false },
    });
    for (const outcome of outcomes) {
      const id = `w${++conversation}`;
      const job = await database.prisma.reopenJob.create({
        data: {
          closeId: close.id,
          linkId: conversation,
          provider: "zendesk",
          account: "acme",
          conversationId: id,
          url: id,
          state: "done",
        },
      });
      await database.prisma.answerWatch.create({
        data: {
          reopenJobId: job.id,
          closeId: close.id,
          provider: "zendesk",
          account: "acme",
          conversationId: id,
          url: id,
          reopenedAt: ago(1),
          outcome,
          outcomeAt: outcome === null ? null : ago(0.5),
        },
      });
    }
  }
  afterAll(async () => {
    await database.close();
  });

  const scope = { repositoryIds: [10n, 20n] };
  const rank = (change: Partial<ImpactQuery>, within: Parameters<typeof rankIssues>[2] = scope) =>
    rankIssues(database.prisma, { ...DEFAULT_IMPACT_QUERY, ...change }, within, NOW);
  const order = async (change: Partial<ImpactQuery>, within?: Parameters<typeof rankIssues>[2]) => {
    const page = await rank(change, within);
    return { total: page.total, rows: page.rows.map((r) => `${r.repository}#${r.number} ${r.reports}/${r.customers}`) };
  };

  it("ranks open issues in scope by reports in the default 30 days", async () => {
    // a tie in reports goes to the latest report
    expect(await order({})).toEqual({ total: 3, rows: ["Octo/Other#5 3/3", "Octo/App#1 3/2", "Octo/App#3 1/0"] });
  });

  it("ranks within 100,000 readable repositories: the scope is one parameter, not one per repository", async () => {
    // Past SQLite's 32,766 and PostgreSQL's 65,535 bound parameters; ids that name no repository change nothing.
    const many = Array.from({ length: 100_000 }, (_, i) => BigInt(1_000_000 + i));
    many[50_000] = 10n;
    many[99_999] = 20n;
    expect(await order({}, { repositoryIds: many })).toEqual(await order({}));
    expect(await order({}, { repositoryIds: many.filter((id) => id !== 20n) })).toEqual({
      total: 2,
      rows: ["Octo/App#1 3/2", "Octo/App#3 1/0"],
    });
  });

  it("fills every column of a row", async () => {
    const [first] = (await rank({ days: 7 })).rows.filter((r) => r.number === 1);
    expect(first).toEqual({
      repository: "Octo/App",
      number: 1,
      title: "Checkout fails",
      state: "open",
      url: "https://github.com/Octo/App/issues/1",
      reports: 2,
      customers: 1,
      frequency: "reported: weekly",
      teams: ["Team: Billing"],
      helpdesks: ["front", "zendesk"],
      waiting: 1,
      firstReportAt: ago(3),
      lastReportAt: ago(1),
      openedAt: ago(100),
      perDay: [0, 0, 0, 0, 1, 1, 1],
    });
  });

  it.each([
    [7, ["Octo/Other#5 3/3", "Octo/App#1 2/1", "Octo/App#3 1/0"]],
    [14, ["Octo/Other#5 3/3", "Octo/App#1 2/1", "Octo/App#3 1/0"]],
    [30, ["Octo/Other#5 3/3", "Octo/App#1 3/2", "Octo/App#3 1/0"]],
    [90, ["Octo/Other#5 3/3", "Octo/App#1 3/2", "Octo/App#3 1/0", "Octo/App#2 1/1"]],
  ] as const)("window of %i days", async (days, rows) => {
    expect((await order({ days, perPage: 10 })).rows).toEqual(rows);
  });

  it.each([
    [{ sort: "customers" }, ["Octo/Other#5 3/3", "Octo/App#1 3/2", "Octo/App#3 1/0"]],
    [{ sort: "last" }, ["Octo/Other#5 3/3", "Octo/App#1 3/2", "Octo/App#3 1/0"]],
    [{ sort: "age", days: 90 }, ["Octo/App#1 3/2", "Octo/App#2 1/1", "Octo/App#3 1/0", "Octo/Other#5 3/3"]],
    [{ state: "closed" }, ["Octo/Other#6 5/0", "Octo/Other#7 1/0"]],
    [
      { state: "all" },
      ["Octo/Other#6 5/0", "Octo/Other#5 3/3", "Octo/App#1 3/2", "Octo/Other#7 1/0", "Octo/App#3 1/0"],
    ],
    [{ repository: "octo/OTHER", state: "all" }, ["Octo/Other#6 5/0", "Octo/Other#5 3/3", "Octo/Other#7 1/0"]],
    // most customers still waiting first (an answer or a close without one is no longer waiting), then reports
    [{ state: "closed", sort: "waiting" }, ["Octo/Other#7 1/0", "Octo/Other#6 5/0"]],
    [
      { state: "all", sort: "waiting" },
      ["Octo/Other#7 1/0", "Octo/Other#6 5/0", "Octo/App#1 3/2", "Octo/Other#5 3/3", "Octo/App#3 1/0"],
    ],
    [{ team: "team: billing" }, ["Octo/App#1 3/2"]],
    [{ team: "team: web" }, []],
    [{ team: "reported: weekly" }, []],
    [{ label: "REPORTED: WEEKLY" }, ["Octo/App#1 3/2"]],
    [{ label: "team: search" }, ["Octo/Other#5 3/3"]],
    [{ label: "bug" }, []],
    [{ helpdesk: "front" }, ["Octo/Other#5 3/3", "Octo/App#1 3/2"]],
    [{ helpdesk: "intercom", days: 90 }, ["Octo/App#2 1/1"]],
    [{ helpdesk: "freshdesk" }, []],
  ] as const)("%j", async (change, rows) => {
    // every match fits on the page, so the total is the rows' count
    expect(await order({ ...change, perPage: 10 })).toEqual({ total: rows.length, rows });
  });

  it("counts each row's customers still waiting, on the page, its CSV and JSON", async () => {
    const page = await rank({ state: "all", sort: "waiting", perPage: 10 });
    expect(page.rows.map((r) => `${r.repository}#${r.number} ${r.waiting}`)).toEqual([
      "Octo/Other#7 2",
      "Octo/Other#6 1",
      "Octo/App#1 1",
      "Octo/Other#5 0",
      "Octo/App#3 0",
    ]);
    expect(impactCsv(page.rows).split("\r\n")[1]!.split(",").at(-1)).toBe("2");
    expect((impactJson(page) as { issues: { waiting: number }[] }).issues.map((issue) => issue.waiting)).toEqual([
      2, 1, 1, 0, 0,
    ]);
  });

  it("pages, with the total over all pages", async () => {
    expect(await order({ perPage: 2, page: 2 })).toEqual({ total: 3, rows: ["Octo/App#3 1/0"] });
    expect(await order({ perPage: 2, page: 3 })).toEqual({ total: 3, rows: [] });
  });

  it("never shows a repository outside the scope; all scope shows it", async () => {
    expect((await order({ repository: "else/secret" })).rows).toEqual([]);
    expect(await order({}, { repositoryIds: [] })).toEqual({ total: 0, rows: [] });
    expect(await order({}, { repositoryIds: [30n] })).toEqual({ total: 1, rows: ["Else/Secret#9 10/0"] });
    expect((await order({ perPage: 1 }, { all: true })).rows).toEqual(["Else/Secret#9 10/0"]);
  });
});

describe.each(ENGINES)("rankIssues as time passes and links change, on %s", (engine) => {
  let database: Database;
  const repository = REPOSITORIES.app;
  const link = (key: string, at: Date, action: "created" | "deleted" = "created") =>
    applySourceChange(database, {
      issue: { repository, number: 1, githubId: 1n, state: "open" },
      source: { kind: "comment", key },
      event: { action, version: action === "created" ? at : new Date(at.getTime() + 1000) },
      createdAt: at,
      links: [
        {
          provider: "front",
          account: "",
          conversationId: `cnv_${key}`,
          url: `https://app.frontapp.com/open/cnv_${key}`,
        },
      ],
    });
  const counts = async (now: Date, days: ImpactQuery["days"] = 7) =>
    (await rankIssues(database.prisma, { ...DEFAULT_IMPACT_QUERY, days }, { all: true }, now)).rows.map(
      (r) => `${r.reports} ${r.perDay.reduce((a, b) => a + b, 0)}`,
    );

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    await link("1", ago(6));
    await link("2", ago(1));
  });
  afterAll(async () => {
    await database.close();
  });

  it("a report leaves the window when its time passes, and the issue leaves the ranking with its last one", async () => {
    expect(await counts(NOW)).toEqual(["2 2"]);
    expect(await counts(new Date(NOW.getTime() + DAY))).toEqual(["2 2"]);
    expect(await counts(new Date(NOW.getTime() + DAY + 1))).toEqual(["1 1"]);
    expect(await counts(new Date(NOW.getTime() + 6 * DAY + 1))).toEqual([]);
    expect(await counts(new Date(NOW.getTime() + 6 * DAY + 1), 14)).toEqual(["2 2"]);
  });

  it("a close and a transfer show at once", async () => {
    const later = new Date(NOW.getTime() + DAY);
    const issue = { repository, number: 1, githubId: 1n, state: "open" as const };
    await recordIssueClose(database, issue, {
      closedAt: later,
      stateReason: "completed",
      closedBy: "octocat",
      reopen: false,
      note: "",
      summary: false,
      details: "never",
      closedTickets: "follow_up",
    });
    expect(await counts(later)).toEqual([]);
    expect(
      (await rankIssues(database.prisma, { ...DEFAULT_IMPACT_QUERY, state: "closed" }, { all: true }, later)).rows.map(
        (r) => r.state,
      ),
    ).toEqual(["closed"]);
    await recordIssueReopen(database, issue, new Date(later.getTime() + 1000));
    expect(await counts(later)).toEqual(["2 2"]);
    await transferIssue(database, issue, {
      repository: REPOSITORIES.other,
      number: 9,
      githubId: 2n,
      state: "open",
    });
    const moved = await rankIssues(
      database.prisma,
      DEFAULT_IMPACT_QUERY,
      { repositoryIds: [REPOSITORIES.other.id] },
      later,
    );
    expect(moved.rows.map((r) => `${r.repository}#${r.number}`)).toEqual(["Octo/Other#9"]);
    await transferIssue(database, { repository: REPOSITORIES.other, number: 9, githubId: 2n, state: "open" }, issue);
  });

  it("a new link and a removed one count at once", async () => {
    const later = new Date(NOW.getTime() + 7 * DAY);
    await link("3", later);
    expect(await counts(later)).toEqual(["1 1"]);
    await link("3", later, "deleted");
    expect(await counts(later)).toEqual([]);
  });
});

describe.each(ENGINES)("rankIssues while issues are still to count, on %s", (engine) => {
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    // Five issues, all due, as after an upgrade: issue n has n reports, so the whole ranking is 5, 4, 3, 2, 1.
    let conversation = 0;
    for (let number = 1; number <= 5; number++)
      for (let n = 0; n < number; n++) {
        const id = String(++conversation);
        await applySourceChange(database, {
          issue: { repository: REPOSITORIES.app, number, githubId: BigInt(number), state: "open" },
          source: { kind: "comment", key: id },
          event: { action: "created", version: ago(1) },
          createdAt: ago(1),
          links: [
            {
              provider: "zendesk",
              account: "acme",
              conversationId: id,
              url: `https://acme.zendesk.com/agent/tickets/${id}`,
            },
          ],
        });
      }
  });
  afterAll(async () => {
    await database.close();
  });

  it("says the ranking is not complete until every due issue is counted, on the page's JSON too", async () => {
    const rank = () =>
      rankIssues(database.prisma, DEFAULT_IMPACT_QUERY, { all: true }, NOW, "https://github.com", {
        countLimit: 2,
      });
    // Each page counts two more: the first two pages rank part of the issues and say so.
    const first = await rank();
    expect({ complete: first.complete, total: first.total }).toEqual({ complete: false, total: 2 });
    expect(impactJson(first)).toMatchObject({ complete: false, total: 2 });
    expect(await rank()).toMatchObject({ complete: false, total: 4 });
    const last = await rank();
    expect(last.complete).toBe(true);
    expect(last.rows.map((r) => `#${r.number} ${r.reports}`)).toEqual(["#5 5", "#4 4", "#3 3", "#2 2", "#1 1"]);
    expect(impactJson(last)).toMatchObject({ complete: true, total: 5 });
  });
});
