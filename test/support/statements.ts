import type { Engine } from "../../src/config/database-url.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { freshDatabaseUrl } from "./databases.js";

/** A migrated database whose client records every statement it sends, for tests that count round trips. */
export interface RecordingDatabase extends Database {
  /** the statements `work` sent, each as its verb and first table (`SELECT Link`, `INSERT Source`, `COMMIT`) */
  statementsOf(work: () => Promise<unknown>): Promise<string[]>;
}

export async function openRecordingDatabase(engine: Engine): Promise<RecordingDatabase> {
  let recorded: string[] = [];
  const database = await openDatabase(await freshDatabaseUrl(engine), {
    migrate: true,
    onStatement: (sql) => recorded.push(statementKind(sql)),
  });
  return {
    ...database,
    async statementsOf(work) {
      recorded = [];
      await work();
      const statements = recorded;
      recorded = [];
      return statements;
    },
  };
}

/** `SELECT "public"."Link"."id" … FROM "public"."Link" …` (Prisma's) and `SELECT … FROM "Link" "l" …` (raw): `SELECT Link`. */
export function statementKind(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? sql;
  // The statement's own table, not a subquery's: parenthesised parts go first.
  let outer = sql;
  while (/\([^()]*\)/.test(outer)) outer = outer.replace(/\([^()]*\)/g, "");
  const table = /\b(?:FROM|INTO|UPDATE)\s+(?:[`"]\w+[`"]\.)?[`"](\w+)[`"]/i.exec(outer)?.[1];
  return table === undefined ? verb : `${verb} ${table}`;
}
