import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { commandHelp } from "../../src/cli/command.js";
import { COMMANDS } from "../../src/cli/commands.js";
import { runCli } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";
import { captureCli } from "../support/cli-output.js";

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  const out: Output = { line: (text) => lines.push(text), table: () => {}, json: () => {}, text: () => {} };
  return { out, error: (line: string) => errors.push(line), lines, errors };
}

describe("closeloop --version", () => {
  const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };

  it("prints package.json's version and exits 0", async () => {
    const io = capture();
    expect(await runCli(["--version"], io.out, io.error)).toBe(0);
    expect(io.lines).toEqual([version]);
    expect(io.errors).toEqual([]);
    const json = captureCli();
    expect(await runCli(["--version", "--json"], json.out, json.error)).toBe(0);
    expect(json.json()).toEqual({ version });
  });

  it("is closeloop's flag, not a command's", async () => {
    const io = capture();
    expect(await runCli(["status", "--version"], io.out, io.error)).toBe(2);
    expect(io.errors[0]).toMatch(/^closeloop: status: unknown flag --version/);
  });
});

describe("the table of commands", () => {
  it("has README, CLI's commands, each once", () => {
    expect(COMMANDS.map((command) => command.name).sort()).toEqual([
      "backfill",
      "copy-database",
      "jobs",
      "links",
      "migrate",
      "retry",
      "sidebar",
      "status",
      "top",
      "waiting",
    ]);
  });

  it.each(COMMANDS.map((command) => [command.name, command] as const))(
    "%s has a usage, a summary and a description of every flag",
    (name, command) => {
      expect(command.usage).toMatch(new RegExp(`^closeloop ${name}\\b`));
      expect(command.synopsis).toMatch(new RegExp(`^${name}\\b`));
      expect(command.summary).not.toBe("");
      for (const option of Object.values(command.options)) expect(option.description).not.toBe("");
      for (const flag of Object.keys(command.options)) expect(commandHelp(command)).toContain(`--${flag}`);
    },
  );

  it("lists every command in `closeloop help`", async () => {
    const io = capture();
    expect(await runCli(["help"], io.out, io.error)).toBe(0);
    for (const command of COMMANDS) expect(io.lines[0]).toContain(`\n  ${command.synopsis}`);
  });
});

describe("flags", () => {
  // A flag is checked before the database is opened: none is needed here. Node's own wording ("Unknown option
  // '--foo'. To specify a positional argument …", "Option '--page <value>' argument missing") never reaches a person.
  it.each([
    [["jobs", "--dead"], "jobs: unknown flag --dead (it takes --state, --json)"],
    [["links", "o/r#1", "--all"], "links: unknown flag --all (it takes --json)"],
    [["migrate", "--verbose"], "migrate: unknown flag --verbose (it takes no flags)"],
    [["status", "-x"], "status: unknown flag -x (it takes --json)"],
    [["status", "-hx"], "status: unknown flag -x (it takes --json)"],
    [["waiting", "--no-json"], "waiting: unknown flag --no-json (it takes --json)"],
    [["jobs", "--state"], "jobs: --state needs a value (--state <state>)"],
    [["top", "--days"], "top: --days needs a value (--days <days>)"],
    [
      ["jobs", "--state", "--all"],
      "jobs: --state needs a value, and the next word is a flag (--state <state>; a value starting with - is written --state=-…)",
    ],
    [["links", "o/r#1", "--json=yes"], "links: --json takes no value (write --json alone)"],
    [["status", "--help=please"], "status: --help takes no value (write --help alone)"],
    [["top", "--days", "7", "--days", "14"], "top: --days is given twice"],
  ])("%j names the command and the flag, then the command's usage", async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    const command = COMMANDS.find((candidate) => candidate.name === argv[0])!;
    expect(io.errors).toEqual([`closeloop: ${message}\nusage: ${command.usage}`]);
    expect(io.lines).toEqual([]);
  });

  it.each([
    [["--foo"], "unknown flag --foo (closeloop takes --version and --help; a command's flags go after it)"],
    [["-v"], "unknown flag -v (closeloop takes --version and --help; a command's flags go after it)"],
    [["--state", "dead"], "unknown flag --state (closeloop takes --version and --help; a command's flags go after it)"],
    [["--version=2"], "--version takes no value (write --version alone)"],
  ])("%j without a command is closeloop's own flag error", async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    expect(io.errors).toEqual([`closeloop: ${message}\nusage: closeloop <command> [--json]`]);
  });

  it("shows a command's own help with --help, and the list without a command", async () => {
    const jobs = capture();
    expect(await runCli(["jobs", "--help"], jobs.out, jobs.error)).toBe(0);
    expect(jobs.lines[0]).toMatch(/^usage: closeloop jobs \[--state pending\|running\|done\|dead\] \[--json\]\n/);
    expect(jobs.lines[0]).toContain("--state <state>");
    const help = capture();
    expect(await runCli(["help", "retry"], help.out, help.error)).toBe(0);
    expect(help.lines[0]).toMatch(/^usage: closeloop retry <job-id> \| --dead\n/);
    const none = capture();
    expect(await runCli([], none.out, none.error)).toBe(2);
    expect(none.lines[0]).toMatch(/^usage: closeloop <command>/);
    const h = capture();
    expect(await runCli(["-h"], h.out, h.error)).toBe(0);
    expect(h.lines[0]).toMatch(/^usage: closeloop <command>/);
  });
});
