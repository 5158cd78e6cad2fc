import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { openDatabase } from "../../src/store/database.js";
import { captureCli } from "../support/cli-output.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { tempFolder } from "../support/temp-folders.js";

const saved = { DATABASE_URL: process.env.DATABASE_URL, CLOSELOOP_PUBLIC_URL: process.env.CLOSELOOP_PUBLIC_URL };
const nowhere = join(tempFolder("closeloop-json-"), "closeloop.db");
let migrated: string;

beforeAll(async () => {
  migrated = await freshDatabaseUrl("sqlite");
  await (await openDatabase(migrated, { migrate: true })).close();
});
afterEach(() => {
  process.env.DATABASE_URL = saved.DATABASE_URL;
});
afterAll(() => {
  if (saved.CLOSELOOP_PUBLIC_URL !== undefined) process.env.CLOSELOOP_PUBLIC_URL = saved.CLOSELOOP_PUBLIC_URL;
});

/**
 * With --json every failure is the document `{ "error": "…" }` (and `usage` for a bad argument) on stdout, nothing on
 * stderr, with the exit code the same run has without --json (README, CLI).
 */
describe("closeloop --json failures", () => {
  it.each([
    {
      what: "an unknown flag",
      argv: ["jobs", "--dead", "--json"],
      exit: 2,
      error: "jobs: unknown flag --dead (it takes --state, --json)",
      usage: "closeloop jobs [--state pending|running|done|dead] [--json]",
    },
    {
      what: "a flag another command takes",
      argv: ["links", "o/r#1", "--all", "--json"],
      exit: 2,
      error: "links: unknown flag --all (it takes --json)",
      usage: "closeloop links <owner>/<repo>#<number> | <issue URL> [--json]",
    },
    {
      what: "a flag without its value",
      argv: ["top", "--json", "--days"],
      exit: 2,
      error: "top: --days needs a value (--days <days>)",
    },
    { what: "an unknown command", argv: ["frobnicate", "--json"], exit: 2, error: 'unknown command "frobnicate"' },
    { what: "no command", argv: ["--json"], exit: 2, error: "a command is needed" },
    {
      what: "a pull request for an issue",
      argv: ["links", "https://github.com/o/r/pull/1", "--json"],
      exit: 2,
      error: "links: that is a pull request, not an issue",
    },
    {
      what: "a bad window",
      argv: ["top", "--days", "10", "--json"],
      exit: 2,
      error: "top: --days: must be one of 7, 14, 30, 90",
    },
    {
      what: "no database",
      argv: ["links", "o/r#1", "--json"],
      exit: 1,
      database: () => `file:${nowhere}`,
      error: `no database at ${nowhere}: check DATABASE_URL and the folder you run in`,
    },
    {
      what: "a DATABASE_URL of no known engine",
      argv: ["waiting", "--json"],
      exit: 1,
      database: () => "sqlserver://db/x",
      error: expect.stringMatching(/^DATABASE_URL: unknown scheme "sqlserver:"/),
    },
    {
      what: "a job that is not there",
      argv: ["retry", "99999", "--json"],
      exit: 1,
      database: () => migrated,
      error: "no job 99999",
    },
    {
      what: "a setting the command needs",
      argv: ["sidebar", "zendesk", "--json", "--out", join(tmpdir(), "closeloop-never-written")],
      exit: 1,
      error: "set CLOSELOOP_PUBLIC_URL to the https address Zendesk reaches closeloop at: the app calls it",
    },
  ])("$what: exit $exit, the error as JSON on stdout", async ({ argv, exit, error, database, ...rest }) => {
    delete process.env.CLOSELOOP_PUBLIC_URL;
    process.env.DATABASE_URL = database?.() ?? `file:${nowhere}`;
    const json = captureCli();
    expect(await runCli(argv, json.out, json.error)).toBe(exit);
    expect(json.errors).toEqual([]);
    expect(json.lines).toEqual([]);
    expect(json.json()).toEqual("usage" in rest ? { error, usage: rest.usage } : expect.objectContaining({ error }));
    expect(Object.keys(json.json() as object).filter((key) => key !== "usage")).toEqual(["error"]);

    const human = captureCli();
    const withoutJson = argv.filter((arg) => arg !== "--json");
    expect(await runCli(withoutJson, human.out, human.error)).toBe(exit);
    expect(human.json()).toBeUndefined();
  });
});
