import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { captureCli } from "../support/cli-output.js";
import { applySourceChange } from "../../src/store/links.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

const capture = captureCli;

const repository = { id: 10n, installationId: 1n, owner: "Octo-Org", name: "App" };
const HOUR = 3_600_000;

describe.each(ENGINES)("closeloop top on %s", (engine) => {
  let database: Database;
  const saved = process.env.DATABASE_URL;
  const linkedAt = new Date(Date.now() - 2 * HOUR);

  beforeEach(async () => {
    const url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
    process.env.DATABASE_URL = url;
    for (const [number, ids] of [
      [1, ["1"]],
      [2, ["2", "3"]],
    ] as const) {
      for (const id of ids) {
        await applySourceChange(database.prisma, {
          issue: {
            repository,
            number,
            githubId: BigInt(number),
            state: "open",
            details: { title: `Issue ${number}`, openedAt: new Date("2026-01-01T00:00:00Z"), at: linkedAt },
          },
          source: { kind: "comment", key: id },
          event: { action: "created", version: linkedAt },
          createdAt: linkedAt,
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
    }
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
    const last = linkedAt
      .toISOString()
      .replace("T", " ")
      .replace(/:\d\d\.\d+Z$/, "Z");
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
          firstReportAt: linkedAt.toISOString(),
          lastReportAt: linkedAt.toISOString(),
          openedAt: "2026-01-01T00:00:00.000Z",
          perDay: [0, 0, 0, 0, 0, 0, 2],
        },
      ],
    });
    const other = capture();
    expect(await runCli(["top", "octo-org/other", "--json"], other.out, other.error)).toBe(0);
    expect(other.json()).toEqual({ total: 0, issues: [] });
  });

  it.each([
    [["top", "--days", "10"], "closeloop: top: --days: must be one of 7, 14, 30, 90"],
    [["top", "octo-org"], "closeloop: top: <owner>/<repo>: must be owner/name"],
    [
      ["top", "a/b", "c/d"],
      `closeloop: usage: closeloop top [<owner>/<repo>] [--days 7|14|30|90] [--team <team label>] [--json]`,
    ],
  ])("%j is a bad argument (exit 2)", async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    expect(io.errors).toEqual([message]);
    expect(io.lines).toEqual([]);
  });
});
