import { parseArgs } from "node:util";
import { checkReadiness, DatabaseMissing, openDatabase, type Database } from "../store/database.js";
import { DatabaseUrlError, parseDatabaseUrl } from "../store/database-url.js";
import { MigrationError } from "../store/migrations.js";
import { UsageError } from "./arguments.js";
import { EnvError } from "../config/env.js";
import { commandHelp, DatabaseNotReady, parseArgsOptions, type Command } from "./command.js";
import { COMMANDS } from "./commands.js";
import { consoleOutput, type Output } from "./output.js";

const USAGE = `usage: closeloop <command> [--json]

commands:
${COMMANDS.map((command) => `  ${command.synopsis.padEnd(31)} ${command.summary}`).join("\n")}

DATABASE_URL selects the database, as for the server (default file:./data/closeloop.db).
\`closeloop <command> --help\` shows a command's flags.`;

/** `npx closeloop …`: returns the exit code; errors are one line on stderr. */
export async function runCli(
  argv: string[],
  out: Output = consoleOutput(),
  error: (line: string) => void = (line) => console.error(line),
): Promise<number> {
  const first = readLeniently(argv);
  const [name, topicName] = first.positionals;
  if (name === undefined || name === "help") {
    const topic = name === "help" ? COMMANDS.find((command) => command.name === topicName) : undefined;
    out.line(topic ? commandHelp(topic) : USAGE);
    return name === undefined && !first.help ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    error(`closeloop: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: parseArgsOptions(command.options) });
  } catch (failure) {
    error(`closeloop: ${command.name}: ${describeFlagError(failure, command)}\nusage: ${command.usage}`);
    return 2;
  }
  const { help, ...values } = parsed.values;
  if (help) {
    out.line(commandHelp(command));
    return 0;
  }
  const session: { database?: Database } = {};
  try {
    const target = parseDatabaseUrl(process.env.DATABASE_URL || undefined);
    // Every command but migrate works on a database that is there: a typo in DATABASE_URL or another working folder
    // must not leave a new, empty database behind (and then advise migrating it).
    const open = async () => (session.database ??= await openDatabase(target, { existing: true }));
    return await command.run({
      args: parsed.positionals.slice(1),
      values: values as Parameters<Command["run"]>[0]["values"],
      out,
      error,
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
    if (failure instanceof UsageError) {
      error(`closeloop: ${failure.message}`);
      return 2;
    }
    if (
      failure instanceof DatabaseUrlError ||
      failure instanceof MigrationError ||
      failure instanceof EnvError ||
      failure instanceof DatabaseNotReady ||
      failure instanceof DatabaseMissing
    ) {
      error(`closeloop: ${failure.message}`);
    } else error(`closeloop: ${describeDatabaseFailure(failure)}`);
    return 1;
  } finally {
    await session.database?.close();
  }
}

/**
 * The command is the first positional argument. Which arguments are positional depends on the flags (`--state dead`
 * takes a value), so this first reading knows every command's flags and is lenient; the command's own is strict.
 */
function readLeniently(argv: string[]): { positionals: string[]; help: boolean } {
  const options = Object.assign({}, ...COMMANDS.map((command) => parseArgsOptions(command.options))) as ReturnType<
    typeof parseArgsOptions
  >;
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: false, options });
  return { positionals, help: values.help === true };
}

/** parseArgs' messages name the option but not the command, and suggest `--` for positionals: say what fits here. */
function describeFlagError(failure: unknown, command: Command): string {
  const code = (failure as { code?: string }).code;
  const flag = /'(-[^' ]+)/.exec((failure as Error).message)?.[1];
  const takes = Object.keys(command.options).map((name) => `--${name}`);
  const choices = takes.length === 0 ? "it takes no flags" : `it takes ${takes.join(", ")}`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag !== undefined) return `unknown flag ${flag} (${choices})`;
  return (failure as Error).message;
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
