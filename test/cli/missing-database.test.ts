import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands.js";
import { runCli } from "../../src/cli/main.js";
import { captureCli } from "../support/cli-output.js";
import { tempFolder } from "../support/temp-folders.js";

/** Each command that works on the database, with arguments it accepts; `waiting` once it is there. */
const USES_THE_DATABASE: string[][] = [
  ["status"],
  ["status", "--json"],
  ["links", "octo-org/app#42"],
  ["jobs"],
  ["jobs", "--state", "dead"],
  ["top"],
  ["retry", "--dead"],
  ["backfill", "--all"],
  ...(COMMANDS.some((command) => command.name === "waiting") ? [["waiting"]] : []),
];

describe("a command run where there is no database (README, CLI)", () => {
  const saved = process.env.DATABASE_URL;
  afterEach(() => {
    process.env.DATABASE_URL = saved;
  });

  it.each(USES_THE_DATABASE)("%s … says where it looked, exits 1, and creates nothing", async (...argv) => {
    const folder = tempFolder("closeloop-elsewhere-");
    const path = join(folder, "data", "closeloop.db");
    process.env.DATABASE_URL = `file:${path}`;
    const io = captureCli();
    expect(await runCli(argv, io.out, io.error)).toBe(1);
    // With --json the same words are the JSON error on stdout (README, CLI).
    const said = argv.includes("--json") ? (io.json() as { error: string }).error : io.errors.join("\n");
    expect(said).toContain(`no database at ${path}: check DATABASE_URL and the folder you run in`);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
  });

  it.each([["status"], ["status", "--json"], ["links", "octo-org/app#42"]])(
    "%s … where DATABASE_URL names a folder says which file and what to fix (CHANGELOG), exit 1",
    async (...argv) => {
      const path = join(tempFolder("closeloop-folder-"), "closeloop.db");
      mkdirSync(path);
      process.env.DATABASE_URL = `file:${path}`;
      const io = captureCli();
      expect(await runCli(argv, io.out, io.error)).toBe(1);
      const said = argv.includes("--json") ? (io.json() as { error: string }).error : io.errors.join("\n");
      expect(said).toContain(`cannot open the SQLite database ${path} (SQLITE_CANTOPEN`);
      expect(said).toContain("it is a folder: DATABASE_URL names the file");
      expect(readdirSync(path)).toEqual([]);
    },
  );

  it.each([
    ["waiting", "now"],
    ["status", "all"],
    ["migrate", "now"],
    ["jobs", "--state", "failed"],
    ["retry"],
    ["retry", "last"],
    ["backfill"],
    ["backfill", "octo-org"],
    ["backfill", "octo-org/app", "octo-org/web"],
  ])("%s … is a bad argument before any database: exit 2, nothing opened or created", async (...argv) => {
    const folder = tempFolder("closeloop-elsewhere-");
    process.env.DATABASE_URL = `file:${join(folder, "data", "closeloop.db")}`;
    const io = captureCli();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    expect(io.errors.join("\n")).not.toContain("no database");
    expect(io.lines).toEqual([]);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("migrate still creates the database it is pointed at", async () => {
    const path = join(tempFolder("closeloop-elsewhere-"), "data", "closeloop.db");
    process.env.DATABASE_URL = `file:${path}`;
    const io = captureCli();
    expect(await runCli(["migrate"], io.out, io.error)).toBe(0);
    expect(existsSync(path)).toBe(true);
  });
});
