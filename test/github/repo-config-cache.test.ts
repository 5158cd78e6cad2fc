import pino from "pino";
import { describe, expect, it } from "vitest";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import type { DatabaseHandle } from "../../src/store/database.js";
import { listConfigErrors } from "../../src/store/config-errors.js";
import { ENGINES } from "../support/databases.js";
import { REPOSITORY } from "../support/reopen.js";
import { captureLogs, useDatabase } from "../support/use-database.js";

describe("RepoConfigCache.ownerFile", () => {
  // The owner's file is never validated or recorded here: no database is reached.
  const cache = (now: () => number) =>
    new RepoConfigCache({} as DatabaseHandle, pino({ level: "silent" }), 60_000, now);

  it("reads an owner's file once within the TTL, again after a push to its .github or the TTL, and keeps no failure", async () => {
    let clock = 0;
    const configs = cache(() => clock);
    const reads: string[] = [];
    const read = (content: unknown) => async () => (reads.push(JSON.stringify(content)), content);
    expect(await configs.ownerFile("Octo-Org", "closeloop.yml", read({ a: 1 }))).toEqual({ a: 1 });
    expect(await configs.ownerFile("octo-org", "closeloop.yml", read({ a: 2 }))).toEqual({ a: 1 });
    // Another owner, and another file of the same owner, are their own.
    expect(await configs.ownerFile("other-org", "closeloop.yml", read(null))).toBeNull();
    expect(await configs.ownerFile("octo-org", "other.yml", read({ b: 1 }))).toEqual({ b: 1 });
    // Two repositories asking at once share one read.
    configs.invalidate("octo-org", ".github");
    const together = await Promise.all([
      configs.ownerFile("octo-org", "closeloop.yml", read({ a: 3 })),
      configs.ownerFile("octo-org", "closeloop.yml", read({ a: 4 })),
    ]);
    expect(together).toEqual([{ a: 3 }, { a: 3 }]);
    // A push to one of the owner's other repositories changes nothing; the TTL does.
    configs.invalidate("octo-org", "app");
    expect(await configs.ownerFile("octo-org", "closeloop.yml", read({ a: 5 }))).toEqual({ a: 3 });
    clock = 60_000;
    expect(await configs.ownerFile("octo-org", "closeloop.yml", read({ a: 6 }))).toEqual({ a: 6 });
    clock = 120_000;
    await expect(
      configs.ownerFile("octo-org", "closeloop.yml", async () => {
        throw new Error("GitHub answered 502");
      }),
    ).rejects.toThrow("502");
    expect(await configs.ownerFile("octo-org", "closeloop.yml", read({ a: 7 }))).toEqual({ a: 7 });
    expect(reads).toEqual(['{"a":1}', "null", '{"b":1}', '{"a":3}', '{"a":6}', '{"a":7}']);
  });
});

describe.each(ENGINES)("RepoConfigCache.get when GitHub refuses the file, on %s", (engine) => {
  const database = useDatabase(engine);
  const { log } = captureLogs("info");
  /** what Octokit throws for GitHub's answer `status` */
  const answered = (status: number, message: string) => Object.assign(new Error(message), { status });

  it("shows a refusal as the repository's config error, applies the last valid config, and clears it once read", async () => {
    let clock = 0;
    const configs = new RepoConfigCache(database, log, 60_000, () => clock);
    const valid = { teams: { map: { Billing: "team: money" } } };
    expect((await configs.get(REPOSITORY, async () => valid)).teams.map).toEqual(valid.teams.map);

    clock = 60_000;
    const refused = await configs.get(REPOSITORY, async () => {
      throw answered(403, "Resource not accessible by integration");
    });
    expect(refused.teams.map).toEqual(valid.teams.map);
    expect((await listConfigErrors(database.prisma)).map((error) => error.message)).toEqual([
      ".github/closeloop.yml: GitHub refused to let closeloop read it (403: Resource not accessible by integration)",
    ]);

    // A 5xx is passing: not recorded, asked again next time.
    clock = 120_000;
    await configs.get(REPOSITORY, async () => {
      throw answered(502, "Bad Gateway");
    });
    expect(await listConfigErrors(database.prisma)).toHaveLength(1);

    await configs.get(REPOSITORY, async () => null);
    expect(await listConfigErrors(database.prisma)).toEqual([]);
  });
});
