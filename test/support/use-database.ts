import pino, { type Logger } from "pino";
import { afterEach, beforeEach } from "vitest";
import type { Engine } from "../../src/config/database-url.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { freshDatabaseUrl } from "./databases.js";

/**
 * A fresh, migrated database of the engine for each test of the calling `describe`, closed after it. The object
 * returned stands for the current test's database; call this before the block's own `beforeEach`, which then sees it
 * open.
 */
export function useDatabase(engine: Engine): Database {
  let current: Database | undefined;
  beforeEach(async () => {
    current = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const open = (): Database => {
    if (current === undefined) throw new Error("useDatabase: the database is open only in a test and its hooks");
    return current;
  };
  return {
    get engine() {
      return open().engine;
    },
    get target() {
      return open().target;
    },
    get prisma() {
      return open().prisma;
    },
    get repositoryRows() {
      return open().repositoryRows;
    },
    close: () => open().close(),
  };
}

/** A logger whose messages (each line's `msg`) are kept in `messages`, emptied before each test of the `describe`. */
export function captureLogs(level: pino.Level = "debug"): { log: Logger; messages: string[] } {
  const messages: string[] = [];
  beforeEach(() => {
    messages.length = 0;
  });
  const log = pino(
    { level },
    { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) },
  );
  return { log, messages };
}
