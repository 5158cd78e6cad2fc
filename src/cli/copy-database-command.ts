import { DatabaseUrlError, parseDatabaseUrl, type DatabaseTarget } from "../config/database-url.js";
import { copyDatabase, type CopyProgress } from "../store/database-copy.js";
import { UsageError } from "./arguments.js";
import { CommandFailed } from "./command.js";
import type { Output } from "./output.js";

export const COPY_DATABASE_USAGE = "closeloop copy-database <postgres-url> [--json]";

/** The `--json` shape of `closeloop copy-database` (docs/moving-to-postgresql.md). */
export interface CopyDatabaseJson {
  source: string;
  target: string;
  /** rows copied per table, in the order they were written */
  tables: Record<string, number>;
  rows: number;
  seconds: number;
}

/** The target given on the command line: a PostgreSQL URL, checked before anything is opened. */
export function readCopyTarget(text: string): DatabaseTarget & { engine: "postgresql" } {
  if (!/^postgres(ql)?:\/\//.test(text))
    throw new UsageError(
      "the target must be a postgres:// or postgresql:// URL (the database to copy into; the source is DATABASE_URL's)",
      COPY_DATABASE_USAGE,
    );
  try {
    return parseDatabaseUrl(text) as DatabaseTarget & { engine: "postgresql" };
  } catch (error) {
    if (error instanceof DatabaseUrlError)
      throw new UsageError(error.message.replace(/^DATABASE_URL: /, "the target: "), COPY_DATABASE_USAGE);
    throw error;
  }
}

/** Copies the SQLite database DATABASE_URL names into an empty PostgreSQL database (docs/moving-to-postgresql.md). */
export async function copyDatabaseCommand(
  source: DatabaseTarget,
  args: string[],
  options: { json: boolean; progress?: (progress: CopyProgress) => void; warn?: (message: string) => void },
  out: Output,
): Promise<number> {
  const target = readCopyTarget(args[0]!);
  if (source.engine !== "sqlite")
    throw new CommandFailed(
      `DATABASE_URL names ${source.display}: copy-database copies a SQLite database (DATABASE_URL) into PostgreSQL (the argument), not from PostgreSQL`,
    );
  const result = await copyDatabase(source, target, { progress: options.progress, warn: options.warn });
  if (options.json) {
    const json: CopyDatabaseJson = {
      source: source.display,
      target: target.display,
      tables: Object.fromEntries(result.tables.map((table) => [table.name, table.rows])),
      rows: result.rows,
      seconds: Number(result.seconds.toFixed(1)),
    };
    out.json(json);
    return 0;
  }
  out.table(
    ["table", "rows"],
    result.tables.map((table) => [table.name, table.rows.toLocaleString("en-US")]),
  );
  out.line(
    `copied ${result.rows.toLocaleString("en-US")} rows from ${source.display} to ${target.display} in ${result.seconds.toFixed(1)} s: set DATABASE_URL to the PostgreSQL URL and start the server`,
  );
  return 0;
}

/** A table's progress as one line: rows copied, of how many, and the pace. */
export function describeCopyProgress(progress: CopyProgress): string {
  const pace = progress.seconds > 0 ? Math.round(progress.copied / progress.seconds) : progress.copied;
  return `copy-database: ${progress.table} ${progress.copied.toLocaleString("en-US")} of ${progress.total.toLocaleString("en-US")} rows, ${pace.toLocaleString("en-US")} a second`;
}
