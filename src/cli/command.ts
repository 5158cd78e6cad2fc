import type { ParseArgsConfig } from "node:util";
import type { Database } from "../store/database.js";
import type { DatabaseTarget } from "../config/database-url.js";
import type { Output } from "./output.js";

/** A flag one command takes. `value` names a string option's argument in the usage (`--state <state>`). */
export type CommandOption =
  { type: "boolean"; description: string } | { type: "string"; value: string; description: string };

export type CommandOptions = Record<string, CommandOption>;

/** What a command's flags parse to: a boolean flag is false when absent, a string option undefined. */
export type OptionValues<O extends CommandOptions> = {
  [K in keyof O]: O[K] extends { type: "boolean" } ? boolean : string | undefined;
};

export interface CommandContext<O extends CommandOptions> {
  /** the positional arguments after the command's name */
  args: string[];
  values: OptionValues<O>;
  /** where the command's answer goes; a failure is thrown (UsageError, CommandFailed), and said by the CLI */
  out: Output;
  /** DATABASE_URL, parsed */
  target: DatabaseTarget;
  /** the database, opened (once) but not checked: for a command that reports on the database itself */
  database: () => Promise<Database>;
  /** the database, opened and migrated; a DatabaseNotReady otherwise */
  readyDatabase: () => Promise<Database>;
}

/** One `closeloop <name>`: how it is shown in the usage and help, the flags it takes, and what it does. */
export interface Command<O extends CommandOptions = CommandOptions> {
  name: string;
  /** its line in `closeloop help`: the name and its arguments, then what it does */
  synopsis: string;
  summary: string;
  /** the full usage line (`closeloop <name> …`), also shown when its arguments are wrong */
  usage: string;
  /** how many arguments it takes after its name, fewest and most: checked before anything is opened */
  arguments: readonly [min: number, max: number];
  options: O;
  /** returns the exit code */
  run(context: CommandContext<O>): Promise<number>;
}

/** Keeps a command's option names and value types together, so `run` sees exactly the flags it declared. */
export function defineCommand<O extends CommandOptions>(command: Command<O>): Command<O> {
  return command;
}

/** The database answers but is not ready for a command (not migrated): exit 1 with `message`. */
export class DatabaseNotReady extends Error {
  override name = "DatabaseNotReady";
}

/** A command could not do what was asked (a job that is not dead, a setting missing): exit 1 with `message`. */
export class CommandFailed extends Error {
  override name = "CommandFailed";
}

/** `--json`, as every command that prints data takes it. */
export const JSON_OPTION = {
  type: "boolean",
  description: "print one JSON document, for scripts",
} as const satisfies CommandOption;

/** node:util's parseArgs options for a command's flags, with `--help` / `-h`, which every command takes. */
export function parseArgsOptions(options: CommandOptions): NonNullable<ParseArgsConfig["options"]> {
  const parsed: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", short: "h", default: false } };
  for (const [name, option] of Object.entries(options))
    parsed[name] = option.type === "boolean" ? { type: "boolean", default: false } : { type: "string" };
  return parsed;
}

/** `closeloop <name> --help`: the usage line, what the command does, and each of its flags. */
export function commandHelp(command: Command): string {
  const flags = Object.entries(command.options).map(
    ([name, option]) =>
      [option.type === "string" ? `--${name} <${option.value}>` : `--${name}`, option.description] as const,
  );
  flags.push(["--help, -h", "show this help"]);
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return [
    `usage: ${command.usage}`,
    "",
    command.summary,
    "",
    "options:",
    ...flags.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
  ].join("\n");
}
