import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBackfill } from "../../src/store/backfills.js";
import { startHarness, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { receive, webhookExample } from "../support/github.js";

describe.each(ENGINES)("install backfill requests on %s", (engine) => {
  let harness: Harness;
  let woken = 0;

  beforeAll(async () => {
    harness = await startHarness(engine);
    harness.deps.backfillRequested = () => void woken++;
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("installation.created asks for a backfill of every repository it names, and wakes the worker; no GitHub call", async () => {
    const payload = webhookExample<Record<string, any>>("installation", "created");
    await receive(harness.probot, "installation", payload);
    expect(payload.repositories.length).toBeGreaterThan(0);
    for (const repository of payload.repositories) {
      expect(await readBackfill(harness.database.prisma, BigInt(repository.id))).toMatchObject({
        repository: repository.full_name,
        state: "pending",
        phase: "open",
        page: 1,
      });
    }
    expect(woken).toBe(1);
  });

  it("installation_repositories.added asks for the added ones, starting again from the first page if one was done", async () => {
    const payload = webhookExample<Record<string, any>>("installation_repositories", "added");
    const [added] = payload.repositories_added;
    await receive(harness.probot, "installation_repositories", payload);
    await harness.database.prisma.backfill.update({
      where: { repositoryId: BigInt(added.id) },
      data: { state: "done", page: 7, issues: 12 },
    });
    await receive(harness.probot, "installation_repositories", payload);
    expect(await readBackfill(harness.database.prisma, BigInt(added.id))).toMatchObject({
      state: "pending",
      page: 1,
      issues: 0,
    });
    const repository = await harness.database.prisma.repository.findUnique({ where: { id: BigInt(added.id) } });
    expect(repository).toMatchObject({
      installationId: BigInt(payload.installation.id),
      fullName: added.full_name.toLowerCase(),
    });
  });
});
