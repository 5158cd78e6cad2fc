/** Decides what to apply from the committed migrations and the `_prisma_migrations` history. Pure. */

export interface MigrationFile {
  name: string;
  checksum: string;
  sql: string;
}

export interface AppliedMigration {
  migrationName: string;
  checksum: string;
  startedAt: Date;
  finishedAt: Date | null;
  logs: string | null;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export function planMigrations(files: readonly MigrationFile[], history: readonly AppliedMigration[]): MigrationFile[] {
  const unfinished = history.find((row) => row.finishedAt === null);
  if (unfinished) {
    const why = unfinished.logs ? `: ${firstLine(unfinished.logs)}` : " (the process stopped while applying it)";
    throw new MigrationError(
      `migration ${unfinished.migrationName} started at ${unfinished.startedAt.toISOString()} but did not finish${why}. ` +
        "The database may be half-migrated: repair it by hand, then delete that row from _prisma_migrations and run `closeloop migrate`.",
    );
  }
  const known = new Map(files.map((file) => [file.name, file]));
  for (const row of history) {
    const file = known.get(row.migrationName);
    if (!file) {
      throw new MigrationError(
        `the database has migration ${row.migrationName}, which this version of closeloop does not know: it was migrated by a newer version; run that version or restore a backup`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${row.migrationName} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${file.checksum.slice(0, 12)}… on disk)`,
      );
    }
  }
  const applied = new Set(history.map((row) => row.migrationName));
  const pending = files.filter((file) => !applied.has(file.name));
  const lastApplied = files.findLastIndex((file) => applied.has(file.name));
  const gap = pending.find((file) => files.indexOf(file) < lastApplied);
  if (gap) {
    throw new MigrationError(
      `migration ${gap.name} is older than migrations already applied; it cannot be applied out of order`,
    );
  }
  return pending;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}
