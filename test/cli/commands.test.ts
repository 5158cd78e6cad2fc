import { describe, expect, it } from "vitest";
import { commandHelp } from "../../src/cli/command.js";
import { COMMANDS } from "../../src/cli/commands.js";
import { runCli } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  const out: Output = { line: (text) => lines.push(text), table: () => {}, json: () => {} };
  return { out, error: (line: string) => errors.push(line), lines, errors };
}

describe("the table of commands", () => {
  it("has README, CLI's commands, each once", () => {
    expect(COMMANDS.map((command) => command.name).sort()).toEqual([
      "backfill",
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
  // A flag is checked before the database is opened: none is needed here.
  it.each([
    [["jobs", "--dead"], "closeloop: jobs: unknown flag --dead (it takes --state, --json)"],
    [["links", "o/r#1", "--all"], "closeloop: links: unknown flag --all (it takes --json)"],
    [["migrate", "--json"], "closeloop: migrate: unknown flag --json (it takes no flags)"],
    [["status", "-x"], "closeloop: status: unknown flag -x (it takes --json)"],
  ])("%j names the command and what it takes, then its usage", async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    const command = COMMANDS.find((candidate) => candidate.name === argv[0])!;
    expect(io.errors).toEqual([`${message}\nusage: ${command.usage}`]);
  });

  it("names the command when a flag's value is missing", async () => {
    const io = capture();
    expect(await runCli(["jobs", "--state"], io.out, io.error)).toBe(2);
    expect(io.errors[0]).toMatch(/^closeloop: jobs: .*--state/);
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
