import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { checkReadiness, DatabaseMissing, openDatabase, type Database } from "../store/database.js";
import { DatabaseUrlError, parseDatabaseUrl } from "../config/database-url.js";
import { MigrationError } from "../store/migrations.js";
import { CopyRefused } from "../store/database-copy.js";
import { describeFlagError, readCommandFlags, UsageError } from "./arguments.js";
import { EnvError } from "../config/env.js";
import { CommandFailed, commandHelp, DatabaseNotReady, parseArgsOptions, type Command } from "./command.js";
import { COMMANDS } from "./commands.js";
import { consoleOutput, type Output } from "./output.js";

const USAGE_LINE = "closeloop <command> [--json]";
const USAGE = `usage: ${USAGE_LINE}

commands:
${COMMANDS.map((command) => `  ${command.synopsis.padEnd(31)} ${command.summary}`).join("\n")}

DATABASE_URL selects the database, as for the server (default file:./data/closeloop.db).
\`closeloop <command> --help\` shows a command's flags; \`closeloop --version\` the version.`;

/** The flags `closeloop` itself takes, before any command. */
const TOP_LEVEL = {
  options: {
    version: { type: "boolean", description: "print closeloop's version" },
    json: { type: "boolean", description: "print one JSON document, for scripts" },
  },
} as const satisfies Pick<Command, "options">;

/**
 * `closeloop …`: returns the exit code (2 bad arguments, 1 any other failure). A failure is one line on stderr,
 * or with `--json` the document `{ "error": "…" }` on stdout (README, CLI), so a script reading stdout always gets
 * exactly one JSON document, the answer or the error.
 */
export async function runCli(
  argv: string[],
  out: Output = consoleOutput(),
  error: (line: string) => void = (line) => console.error(line),
): Promise<number> {
  const first = readLeniently(argv);
  const fail = (failure: unknown) => report(failure, first.json, out, error);
  const [name, topicName] = first.positionals;
  if (name === undefined) {
    try {
      readTopLevelFlags(argv);
    } catch (failure) {
      return fail(failure);
    }
    if (first.version) {
      if (first.json) out.json({ version: packageVersion() });
      else out.line(packageVersion());
      return 0;
    }
    if (first.json && !first.help) return fail(new UsageError("a command is needed", USAGE_LINE));
    out.line(USAGE);
    return first.help ? 0 : 2;
  }
  if (name === "help") {
    const topic = COMMANDS.find((command) => command.name === topicName);
    out.line(topic ? commandHelp(topic) : USAGE);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    return first.json
      ? fail(new UsageError(`unknown command "${name}"`, USAGE_LINE))
      : fail(new UsageError(`unknown command "${name}"\n${USAGE}`));
  }
  const session: { database?: Database } = {};
  try {
    const parsed = readCommandFlags(argv, command);
    const { help, ...values } = parsed.values;
    if (help) {
      out.line(commandHelp(command));
      return 0;
    }
    const args = parsed.positionals.slice(1);
    // `closeloop migrate now` must not migrate, nor `status extra` open a database, as if the word were not there.
    if (args.length < command.arguments[0] || args.length > command.arguments[1])
      throw new UsageError(`usage: ${command.usage}`);
    const target = parseDatabaseUrl(process.env.DATABASE_URL || undefined);
    // Every command but migrate works on a database that is there: a typo in DATABASE_URL or another working folder
    // must not leave a new, empty database behind (and then advise migrating it).
    const open = async () => (session.database ??= await openDatabase(target, { existing: true }));
    return await command.run({
      args,
      values: values as Parameters<Command["run"]>[0]["values"],
      out,
      target,
      database: open,
      async readyDatabase() {
        const opened = await open();
        const readiness = await checkReadiness(opened);
        if (!readiness.ready) throw new DatabaseNotReady(`${target.display}: ${readiness.reason}`);
        return opened;
      },
    });
  } catch (failure) {
    return fail(failure);
  } finally {
    await session.database?.close();
  }
}

/** A failure as the person reads it: one line (and the usage) on stderr, or `{ error, usage? }` with `--json`. */
function report(failure: unknown, json: boolean, out: Output, error: (line: string) => void): number {
  const usage = failure instanceof UsageError ? failure.usage : undefined;
  const message = describeFailure(failure);
  if (json) out.json(usage === undefined ? { error: message } : { error: message, usage });
  else error(`closeloop: ${message}${usage === undefined ? "" : `\nusage: ${usage}`}`);
  return failure instanceof UsageError ? 2 : 1;
}

function describeFailure(failure: unknown): string {
  if (
    failure instanceof UsageError ||
    failure instanceof CommandFailed ||
    failure instanceof DatabaseUrlError ||
    failure instanceof MigrationError ||
    failure instanceof EnvError ||
    failure instanceof DatabaseNotReady ||
    failure instanceof DatabaseMissing ||
    failure instanceof CopyRefused
  )
    return failure.message;
  return describeDatabaseFailure(failure);
}

/**
 * The command is the first positional argument. Which arguments are positional depends on the flags (`--state dead`
 * takes a value), so this first reading knows every command's flags and is lenient; the command's own is strict.
 */
function readLeniently(argv: string[]): { positionals: string[]; help: boolean; version: boolean; json: boolean } {
  const options = Object.assign(
    {},
    parseArgsOptions(TOP_LEVEL.options),
    ...COMMANDS.map((command) => parseArgsOptions(command.options)),
  ) as ReturnType<typeof parseArgsOptions>;
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: false, options });
  return { positionals, help: values.help === true, version: values.version === true, json: values.json === true };
}

/** Without a command, only closeloop's own flags: `closeloop -v` is not silently the usage. */
function readTopLevelFlags(argv: string[]): void {
  try {
    parseArgs({ args: argv, allowPositionals: true, options: parseArgsOptions(TOP_LEVEL.options) });
  } catch (failure) {
    throw new UsageError(
      describeFlagError(failure, TOP_LEVEL, "closeloop takes --version and --help; a command's flags go after it"),
      USAGE_LINE,
    );
  }
}

/** package.json's version: two folders up from both src/cli/ (tests) and dist/cli/ (the built `bin`). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
}

function describeDatabaseFailure(failure: unknown): string {
  const message = failure instanceof Error ? failure.message.trim().split("\n").at(-1)! : String(failure);
  const code = (failure as { code?: string }).code ?? (failure as { cause?: { code?: string } }).cause?.code;
  if (code === "ECONNREFUSED" || /ECONNREFUSED|connect|ENOTFOUND|unable to open database/i.test(message))
    return `cannot reach the database: ${message}`;
  if (/no such table|does not exist/i.test(message))
    return "the database is not migrated: run `closeloop migrate` (the server migrates at start)";
  return message;
}
