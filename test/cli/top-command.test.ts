import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { TOP_USAGE, topCommand, type TopOptions } from "../../src/cli/top-command.js";
import { captureCli } from "../support/cli-output.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { reportTicket } from "../support/reports.js";

const capture = captureCli;

const repository = { id: 10n, installationId: 1n, owner: "Octo-Org", name: "App" };
const HOUR = 3_600_000;

describe.each(ENGINES)("closeloop top on %s", (engine) => {
  let database: Database;
  const saved = process.env.DATABASE_URL;
  const linkedAt = new Date(Date.now() - 2 * HOUR);
  const closedReportAt = new Date(Date.now() - HOUR);
  const minute = (at: Date) =>
    at
      .toISOString()
      .replace("T", " ")
      .replace(/:\d\d\.\d+Z$/, "Z");

  beforeEach(async () => {
    const url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
    process.env.DATABASE_URL = url;
    for (const [number, ids] of [
      [1, ["1"]],
      [2, ["2", "3"]],
    ] as const) {
      for (const id of ids) {
        await reportTicket(database, repository, number, id, linkedAt, {
          details: { title: `Issue ${number}`, openedAt: new Date("2026-01-01T00:00:00Z"), at: linkedAt },
        });
      }
    }
    // A closed issue, opened long before the others, with the latest report.
    await applySourceChange(database, {
      issue: {
        repository,
        number: 3,
        githubId: 3n,
        state: "closed",
        details: { title: "Issue 3", openedAt: new Date("2025-06-01T00:00:00Z"), at: closedReportAt },
      },
      source: { kind: "comment", key: "4" },
      event: { action: "created", version: closedReportAt },
      createdAt: closedReportAt,
      links: [{ provider: "front", account: "", conversationId: "cnv_4", url: "https://app.frontapp.com/open/cnv_4" }],
    });
    const issue = await database.prisma.issue.findFirstOrThrow({ where: { number: 2 } });
    await database.prisma.issueLabel.create({
      data: {
        issueId: issue.id,
        key: "team: billing",
        name: "team: billing",
        present: true,
        seenAt: linkedAt,
        applied: true,
        kind: "team",
      },
    });
  });
  afterEach(async () => {
    await database.close();
    process.env.DATABASE_URL = saved;
  });

  it("prints the ranking, most reports first", async () => {
    const io = capture();
    expect(await runCli(["top"], io.out, io.error)).toBe(0);
    const last = minute(linkedAt);
    expect(io.lines).toEqual([
      "2 open issues with reports in the last 30 days",
      "#|issue|reports|customers|frequency|teams|helpdesks|last report|title",
      `1|Octo-Org/App#2|2|0||team: billing|zendesk|${last}|Issue 2`,
      `2|Octo-Org/App#1|1|0|||zendesk|${last}|Issue 1`,
    ]);
    expect(io.errors).toEqual([]);
  });

  it("--json prints the API's shape; a repository and --team narrow it", async () => {
    const io = capture();
    expect(
      await runCli(["top", "octo-org/app", "--days", "7", "--team", "Team: Billing", "--json"], io.out, io.error),
    ).toBe(0);
    expect(io.json()).toEqual({
      total: 1,
      totalCapped: false,
      complete: true,
      issues: [
        {
          repository: "Octo-Org/App",
          number: 2,
          title: "Issue 2",
          state: "open",
          url: "https://github.com/Octo-Org/App/issues/2",
          reports: 2,
          customers: 0,
          frequency: null,
          teams: ["team: billing"],
          helpdesks: ["zendesk"],
          waiting: 0,
          firstReportAt: linkedAt.toISOString(),
          lastReportAt: linkedAt.toISOString(),
          openedAt: "2026-01-01T00:00:00.000Z",
          perDay: [0, 0, 0, 0, 0, 0, 2],
        },
      ],
    });
    const other = capture();
    expect(await runCli(["top", "octo-org/other", "--json"], other.out, other.error)).toBe(0);
    expect(other.json()).toEqual({ total: 0, totalCapped: false, complete: true, issues: [] });
  });

  it("--state closed and all, --sort by the dashboard's keys", async () => {
    const closed = capture();
    expect(await runCli(["top", "--state", "closed"], closed.out, closed.error)).toBe(0);
    expect(closed.lines).toEqual([
      "1 closed issue with reports in the last 30 days",
      "#|issue|reports|customers|frequency|teams|helpdesks|last report|title",
      `1|Octo-Org/App#3|1|0|||front|${minute(closedReportAt)}|Issue 3`,
    ]);
    const latest = capture();
    expect(await runCli(["top", "--state", "all", "--sort", "last"], latest.out, latest.error)).toBe(0);
    expect(latest.lines[0]).toBe("3 issues with reports in the last 30 days, sorted by last");
    expect(latest.lines.slice(1).map((line) => line.split("|").slice(0, 3).join("|"))).toEqual([
      "#|issue|state",
      "1|Octo-Org/App#3|closed",
      "2|Octo-Org/App#2|open",
      "3|Octo-Org/App#1|open",
    ]);
    const oldest = capture();
    expect(await runCli(["top", "--state", "all", "--sort", "age", "--json"], oldest.out, oldest.error)).toBe(0);
    expect((oldest.json() as { issues: { number: number }[] }).issues.map((row) => row.number)).toEqual([3, 2, 1]);
  });

  it("--page: the page asked for, said with how many there are", async () => {
    const io = capture();
    expect(await runCli(["top", "--page", "2"], io.out, io.error)).toBe(0);
    expect(io.lines).toEqual(["2 open issues with reports in the last 30 days, page 2 of 1"]);
    const json = capture();
    expect(await runCli(["top", "--page", "2", "--json"], json.out, json.error)).toBe(0);
    expect(json.json()).toEqual({ total: 2, totalCapped: false, complete: true, issues: [] });
  });

  it("counts the issues up to the ranking's cap: past it the total is the cap, said N+, totalCapped in --json", async () => {
    // Two open issues (#1 and #2): a cap of one is passed, a cap of two is reached and the total exact.
    const top = async (totalCap: number, json: boolean) => {
      const io = capture();
      const options: TopOptions = {
        ...{ days: undefined, team: undefined, state: undefined, sort: undefined, page: undefined },
        json,
        csv: false,
        githubUrl: "https://github.com",
        limits: { totalCap },
      };
      expect(await topCommand(async () => database, [], options, io.out)).toBe(0);
      return io;
    };
    const capped = await top(1, false);
    expect(capped.lines.slice(0, 1)).toEqual(["1+ open issues with reports in the last 30 days"]);
    expect(capped.lines.slice(2).map((line) => line.split("|")[1])).toEqual(["Octo-Org/App#2", "Octo-Org/App#1"]);
    expect((await top(1, true)).json()).toMatchObject({ total: 1, totalCapped: true, complete: true });
    expect((await top(2, false)).lines[0]).toBe("2 open issues with reports in the last 30 days");
    expect((await top(2, true)).json()).toMatchObject({ total: 2, totalCapped: false, complete: true });
  });

  it("--csv writes the dashboard's CSV (?format=csv) of the same page", async () => {
    const io = capture();
    expect(await runCli(["top", "--state", "all", "--sort", "age", "--csv"], io.out, io.error)).toBe(0);
    expect(io.lines).toEqual([]);
    const rows = io.text().split("\r\n");
    expect(rows[0]).toBe(
      "repository,number,title,state,url,reports,customers,frequency,teams,helpdesks,first_report_at,last_report_at,opened_at,per_day,waiting",
    );
    expect(rows.slice(1).map((row) => row.split(",").slice(0, 4).join(","))).toEqual([
      "Octo-Org/App,3,Issue 3,closed",
      "Octo-Org/App,2,Issue 2,open",
      "Octo-Org/App,1,Issue 1,open",
      "",
    ]);
    expect(rows[2]).toContain(",team: billing,zendesk,");
    const both = capture();
    expect(await runCli(["top", "--json", "--csv"], both.out, both.error)).toBe(2);
    expect(both.json()).toEqual({ error: "top: --json or --csv, not both", usage: TOP_USAGE });
  });

  it.each([
    [["top", "--days", "10"], "closeloop: top: --days: must be one of 7, 14, 30, 90"],
    [["top", "--state", "pending"], "closeloop: top: --state: must be one of open, closed, all"],
    [
      ["top", "--sort", "title"],
      expect.stringMatching(/^closeloop: top: --sort: must be one of reports, customers, last, age/),
    ],
    [["top", "--page", "0"], "closeloop: top: --page: must be a whole number from 1 to 1000000"],
    [["top", "--page", "two"], "closeloop: top: --page: must be a whole number from 1 to 1000000"],
    [["top", "octo-org"], "closeloop: top: <owner>/<repo>: must be owner/name"],
    [["top", "a/b", "c/d"], `closeloop: usage: ${TOP_USAGE}`],
  ])("%j is a bad argument (exit 2)", async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    expect(io.errors).toEqual([message]);
    expect(io.lines).toEqual([]);
  });
});
