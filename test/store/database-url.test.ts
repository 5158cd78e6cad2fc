import { describe, expect, inject, it } from "vitest";
import { readStatus } from "../../src/operations/status.js";
import { DatabaseMissing, openDatabase } from "../../src/store/database.js";
import { parseDatabaseUrl } from "../../src/config/database-url.js";
import { freshDatabaseUrl } from "../support/databases.js";

describe("how a DATABASE_URL is shown", () => {
  it.each([
    ["postgresql://app:s3cret@db.internal:5432/closeloop", "postgresql://app:***@db.internal:5432/closeloop"],
    ["postgresql://app@db.internal/closeloop?password=s3cret", "postgresql://app@db.internal/closeloop?password=***"],
    [
      "postgres://app@db/closeloop?sslmode=verify-full&sslpassword=s3cret&application_name=cl",
      "postgres://app@db/closeloop?sslmode=verify-full&sslpassword=***&application_name=cl",
    ],
    ["postgresql://db/closeloop?user=app&PASSWORD=s3cret", "postgresql://db/closeloop?user=app&PASSWORD=***"],
    ["postgresql://app:one@db/closeloop?password=two", "postgresql://app:***@db/closeloop?password=***"],
    ["postgresql://db/closeloop?password=a&password=b", "postgresql://db/closeloop?password=***"],
    ["postgresql://db/closeloop?password=s3%26cret%3D", "postgresql://db/closeloop?password=***"],
    ["postgresql://db/closeloop?sslmode=require", "postgresql://db/closeloop?sslmode=require"],
  ])("%s → %s", (url, shown) => {
    const target = parseDatabaseUrl(url);
    expect(target).toMatchObject({ engine: "postgresql", connectionString: url, display: `postgresql ${shown}` });
    expect(target.display).not.toContain("s3");
  });

  it("masks a query-parameter password in what status and the operations page show, and in errors", async () => {
    const url = new URL(await freshDatabaseUrl("postgresql"));
    url.searchParams.set("password", url.password);
    url.password = "";
    expect(inject("postgresUrl")).toContain(":closeloop@");
    const database = await openDatabase(url.toString(), { migrate: true });
    try {
      const { status } = await readStatus(database, {});
      expect(status.database).toMatchObject({ ready: true, url: expect.stringContaining("?password=***") });
      expect(status.database.url).not.toContain("password=closeloop");
    } finally {
      await database.close();
    }
    const missing = new DatabaseMissing(parseDatabaseUrl(url.toString())).message;
    expect(missing).toContain("password=***");
    expect(missing).not.toContain("password=closeloop");
  });
});
