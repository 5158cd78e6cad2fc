import { describe, expect, it } from "vitest";
import { readMigrationFiles } from "../../src/store/migrations.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { runCliProcess } from "../support/process.js";

describe.each(ENGINES)("`closeloop migrate` on %s", (engine) => {
  it("lets exactly one of three replicas starting at once apply the migrations", async () => {
    const url = await freshDatabaseUrl(engine);
    const runs = await Promise.all([1, 2, 3].map(() => runCliProcess(["migrate"], { DATABASE_URL: url })));
    expect(runs.map((run) => [run.code, run.stderr])).toEqual([
      [0, ""],
      [0, ""],
      [0, ""],
    ]);
    const applied = runs.filter((run) => run.stdout.includes("applied "));
    expect(applied).toHaveLength(1);
    expect(applied[0]!.stdout).toContain(
      `applied ${readMigrationFiles(engine)
        .map((file) => file.name)
        .join(", ")}`,
    );
    expect(runs.filter((run) => run.stdout.includes("up to date"))).toHaveLength(2);

    const status = await runCliProcess(["status", "--json"], { DATABASE_URL: url });
    // Migrated, but no GitHub App in this environment and no server started: status says so and exits 1.
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ github: { configured: false }, server: { running: 0 } });
    expect(JSON.parse(status.stdout).migrations).toEqual({
      applied: readMigrationFiles(engine).map((file) => file.name),
      pending: [],
    });
  });
});
