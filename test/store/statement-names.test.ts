import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { statementNames } from "../../src/store/statement-names.js";
import { freshDatabaseUrl } from "../support/databases.js";

describe("statementNames", () => {
  const query = (sql: string, args: unknown[] = [1]) => ({ sql, args });

  it("names a text from its second sighting on, the same name every time after", () => {
    const name = statementNames();
    expect(name(query("DELETE FROM t WHERE a = $1"))).toBeUndefined();
    const named = name(query("DELETE FROM t WHERE a = $1"));
    expect(named).toBe("closeloop_1");
    expect(name(query("DELETE FROM t WHERE a = $1"))).toBe(named);
    expect(name(query("UPDATE t SET b = $1"))).toBeUndefined();
    expect(name(query("UPDATE t SET b = $1"))).toBe("closeloop_2");
  });

  it("names only statements that write, themselves or in a WITH query; reads are planned for their values", () => {
    const name = statementNames();
    const texts = {
      read: `SELECT "id" FROM "Issue" WHERE "repositoryId" = $1 AND "updatedAt" > $2`,
      locked: `SELECT "limit" FROM "HelpdeskBudget" WHERE "key" = $1 FOR UPDATE`,
      insert: `insert into t values ($1)`,
      cte: `WITH "source" AS (INSERT INTO s VALUES ($1) RETURNING "id") SELECT "id" FROM "source"`,
    };
    const names = Object.fromEntries(
      Object.entries(texts).map(([what, sql]) => [what, [name(query(sql)), name(query(sql)), name(query(sql))]]),
    );
    expect(names).toEqual({
      read: [undefined, undefined, undefined],
      locked: [undefined, "closeloop_1", "closeloop_1"],
      insert: [undefined, "closeloop_2", "closeloop_2"],
      cte: [undefined, "closeloop_3", "closeloop_3"],
    });
  });

  it("leaves statements without parameters unnamed (BEGIN, COMMIT: one simple query each)", () => {
    const name = statementNames();
    for (let i = 0; i < 3; i++) expect(name(query("COMMIT", []))).toBeUndefined();
  });

  it("names at most `max` texts; the others stay unnamed", () => {
    const name = statementNames({ max: 2 });
    for (const sql of ["DELETE A $1", "DELETE B $1", "DELETE C $1"]) {
      name(query(sql));
      name(query(sql));
    }
    expect([name(query("DELETE A $1")), name(query("DELETE B $1")), name(query("DELETE C $1"))]).toEqual([
      "closeloop_1",
      "closeloop_2",
      undefined,
    ]);
  });

  it("counts at most `counted` texts seen once, forgetting them all when full", () => {
    const name = statementNames({ counted: 2 });
    name(query("DELETE A $1"));
    name(query("DELETE B $1"));
    name(query("DELETE C $1")); // A and B forgotten
    expect(name(query("DELETE A $1"))).toBeUndefined();
    expect(name(query("DELETE C $1"))).toBe("closeloop_1");
  });
});

describe("statements a PostgreSQL client sends again", () => {
  let database: Database;
  const prepared = async () =>
    (
      await database.prisma.$queryRawUnsafe<{ statement: string }[]>(
        `SELECT "statement" FROM pg_prepared_statements ORDER BY "prepare_time"`,
      )
    ).map((row) => row.statement);

  beforeAll(async () => {
    // One connection: pg_prepared_statements shows the session's own statements.
    database = await openDatabase(await freshDatabaseUrl("postgresql"), { migrate: true, poolSize: 1 });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("are prepared once on the connection and answer as before; one-off statements and reads are not kept", async () => {
    const repeated = `UPDATE "Delivery" SET "attempts" = "attempts" + $1::int WHERE FALSE`;
    for (const n of [1, 2, 3]) expect(await database.prisma.$executeRawUnsafe(repeated, n)).toBe(0);
    expect(await database.prisma.$executeRawUnsafe(`DELETE FROM "Delivery" WHERE "attempts" = $1::int`, 7)).toBe(0);
    for (const n of [1, 2, 3])
      expect(await database.prisma.$queryRawUnsafe(`SELECT $1::int + 1 AS "n"`, n)).toEqual([{ n: n + 1 }]);
    expect(await prepared()).toEqual([repeated]);
  });

  it("fail as they did unnamed, and run again after a failure", async () => {
    const insert = `INSERT INTO "Delivery" ("id", "name", "payload", "receivedAt") VALUES ($1, 'issues', '{}', now())`;
    await database.prisma.$executeRawUnsafe(insert, "d1");
    await database.prisma.$executeRawUnsafe(insert, "d2");
    const failure = await database.prisma
      .$transaction((tx) => tx.$executeRawUnsafe(insert, "d1"))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toMatchObject({
      code: "P2010",
      meta: { driverAdapterError: { cause: { kind: "UniqueConstraintViolation" } } },
    });
    expect(await database.prisma.$executeRawUnsafe(insert, "d3")).toBe(1);
    expect(await prepared()).toContain(insert);
  });
});
