import { parseArgs } from "node:util";
import { z } from "zod";
import { readNamedIssue } from "../domain/sidebar-input.js";
import { parseArgsOptions, type Command } from "./command.js";

/** A bad argument or flag: exit 2. `usage`, when set, is the usage line shown after the message. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

export function parseWith<T>(schema: z.ZodType<T, unknown>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what}: ${result.error.issues[0]?.message ?? "invalid"}`);
  return result.data;
}

/**
 * An issue as a person names it on the command line: `owner/repo#12`, or its URL pasted from the browser (trailing
 * slash, `#issuecomment-…` and query included) on closeloop's GitHub host. The same reading as the sidebar's link
 * form, so both take the same things and refuse a pull request or another host the same way.
 */
export function readIssueArgument(
  text: string,
  githubHost: string,
  what: string,
): { fullName: string; number: number } {
  const named = readNamedIssue(text, githubHost);
  if ("problem" in named) throw new UsageError(`${what}: ${named.problem}`);
  return { fullName: `${named.owner}/${named.repo}`, number: named.number };
}

/** What a command's flags parsed to: its positional arguments (the command's name first) and the flags' values. */
export interface CommandFlags {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

/**
 * Reads a command's flags strictly: a flag it does not take, a missing value or a flag given twice is a UsageError in
 * closeloop's words (the command, the flag, what it takes) rather than node:util's, which name neither the command
 * nor its usage and suggest `--` for positionals.
 */
export function readCommandFlags(argv: string[], command: Command): CommandFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: parseArgsOptions(command.options),
    });
  } catch (failure) {
    throw new UsageError(`${command.name}: ${describeFlagError(failure, command)}`, command.usage);
  }
  const given = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option" || command.options[token.name]?.type !== "string") continue;
    // parseArgs keeps the last of a repeated option: `--page 1 --page 2` would silently show page 2.
    if (given.has(token.name)) throw new UsageError(`${command.name}: --${token.name} is given twice`, command.usage);
    given.add(token.name);
  }
  return { positionals: parsed.positionals, values: parsed.values };
}

/** node:util's ERR_PARSE_ARGS_* errors, said for this command. The message is the only place the flag is named. */
export function describeFlagError(failure: unknown, command: Pick<Command, "options">, takes?: string): string {
  const code = (failure as { code?: string }).code;
  const message = failure instanceof Error ? failure.message : String(failure);
  // "Option '-h, --help' …", "Option '--page <value>' …", "Unknown option '-x'": the long name when there is one.
  const flag = /'(?:-\w, )?(-[^',\s]+)/.exec(message)?.[1];
  if (flag === undefined || code === undefined || !code.startsWith("ERR_PARSE_ARGS_")) return message;
  const option = command.options[flag.replace(/^--/, "")];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag ${flag} (${takes ?? flagsTaken(command)})`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (option?.type === "string") {
      const form = `${flag} <${option.value}>`;
      return /ambiguous/.test(message)
        ? `${flag} needs a value, and the next word is a flag (${form}; a value starting with - is written ${flag}=-…)`
        : `${flag} needs a value (${form})`;
    }
    if (/does not take an argument/.test(message)) return `${flag} takes no value (write ${flag} alone)`;
  }
  return `${flag}: ${message.split("\n")[0]!.replace(/\. To specify a positional.*$/, "")}`;
}

function flagsTaken(command: Pick<Command, "options">): string {
  const flags = Object.keys(command.options).map((name) => `--${name}`);
  return flags.length === 0 ? "it takes no flags" : `it takes ${flags.join(", ")}`;
}
