import { parseArgs } from "node:util";
import { checkReadiness, openDatabase, type Database } from "../store/database.js";
import { DatabaseUrlError, parseDatabaseUrl } from "../store/database-url.js";
import { migrate, MigrationError } from "../store/migrations.js";
import { UsageError } from "./arguments.js";
import { backfillCommand, gitHubAppFromEnv } from "./backfill-command.js";
import { EnvError, parseEnv } from "../config/env.js";
import { jobsCommand } from "./jobs-command.js";
import { linksCommand } from "./links-command.js";
import { consoleOutput, type Output } from "./output.js";
import { retryCommand } from "./retry-command.js";
import { statusCommand } from "./status-command.js";

const USAGE = `usage: closeloop <command> [--json]

commands:
  links <owner>/<repo>#<number>   the conversations linked to an issue
  status                          database, migrations, providers, reopen queues, config errors
  jobs [--state <state>]          reopen jobs: pending, running, done or dead
  retry <job-id> | --dead         run a dead job (or every dead job) again
  backfill <owner>/<repo> | --all read existing issues and comments for links (as on install), with progress
  migrate                         apply pending database migrations

DATABASE_URL selects the database, as for the server (default file:./data/closeloop.db).`;

/** `npx closeloop …`: returns the exit code; errors are one line on stderr. */
export async function runCli(argv: string[], out: Output = consoleOutput(), error: (line: string) => void = (line) => console.error(line)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        state: { type: "string" },
        dead: { type: "boolean", default: false },
        all: { type: "boolean", default: false },
      },
    });
  } catch (failure) {
    error(`closeloop: ${(failure as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === "help") {
    out.line(USAGE);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  if (!["links", "status", "jobs", "retry", "backfill", "migrate"].includes(command)) {
    error(`closeloop: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  let database: Database | undefined;
  try {
    const target = parseDatabaseUrl(process.env.DATABASE_URL || undefined);
    if (command === "migrate") {
      const applied = await migrate(target);
      out.line(applied.length === 0 ? `${target.display}: up to date` : `${target.display}: applied ${applied.join(", ")}`);
      return 0;
    }
    database = await openDatabase(target);
    if (command === "status") return await statusCommand(database, parsed.values.json, out);
    const readiness = await checkReadiness(database);
    if (!readiness.ready) {
      error(`closeloop: ${target.display}: ${readiness.reason}`);
      return 1;
    }
    if (command === "jobs") return await jobsCommand(database, args, { state: parsed.values.state, json: parsed.values.json }, out);
    if (command === "backfill") {
      const env = parseEnv();
      // A progress line on a terminal, redrawn in place; scripts get the final lines (or --json) only.
      const progress = process.stderr.isTTY ? (line: string, done: boolean) => void process.stderr.write(`\r\x1b[2K${line}${done ? "\n" : ""}`) : undefined;
      return await backfillCommand(database, args, { all: parsed.values.all, json: parsed.values.json, dryRun: env.CLOSELOOP_DRY_RUN, progress }, out, gitHubAppFromEnv(env));
    }
    if (command === "retry") return await retryCommand(database, args, { dead: parsed.values.dead, json: parsed.values.json }, out, error);
    return await linksCommand(database, args, parsed.values.json, out);
  } catch (failure) {
    if (failure instanceof UsageError) {
      error(`closeloop: ${failure.message}`);
      return 2;
    }
    if (failure instanceof DatabaseUrlError || failure instanceof MigrationError || failure instanceof EnvError) error(`closeloop: ${failure.message}`);
    else error(`closeloop: ${describeDatabaseFailure(failure)}`);
    return 1;
  } finally {
    await database?.close();
  }
}

function describeDatabaseFailure(failure: unknown): string {
  const message = failure instanceof Error ? failure.message.trim().split("\n").at(-1)! : String(failure);
  const code = (failure as { code?: string }).code ?? (failure as { cause?: { code?: string } }).cause?.code;
  if (code === "ECONNREFUSED" || /ECONNREFUSED|connect|ENOTFOUND|unable to open database/i.test(message)) return `cannot reach the database: ${message}`;
  if (/no such table|does not exist/i.test(message)) return "the database is not migrated: run `closeloop migrate` (the server migrates at start)";
  return message;
}
