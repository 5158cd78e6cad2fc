import { afterEach, describe, expect, it } from "vitest";
import { P2_SCRIPT, runP2Script } from "../../bench/labels-p2.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

// `npm run bench` prints P2 from this script; here every step must make exactly the calls it needs, so a label
// change that costs an extra GitHub call (or skips one) fails CI, not only the benchmark's ratio.
describe.each(ENGINES)("the P2 script on %s", (engine) => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
  });

  it("makes the minimum number of GitHub calls at every step, with one token and one config lookup overall", async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    const run = await runP2Script(database);
    expect(run.steps.map((step, i) => `#${i + 1} ${step.event}: ${step.calls.length}`)).toEqual(P2_SCRIPT.map((step, i) => `#${i + 1} ${run.steps[i]?.event}: ${step.minimum}`));
    expect(run.steps.flatMap((step) => step.calls)).toEqual([
      "POST /repos/Codertocat/Hello-World/labels",
      "POST /repos/Codertocat/Hello-World/issues/1/labels",
      "POST /repos/Codertocat/Hello-World/labels",
      "POST /repos/Codertocat/Hello-World/issues/1/labels",
      "DELETE /repos/Codertocat/Hello-World/issues/1/labels/reported%3A%20weekly",
      "POST /repos/Codertocat/Hello-World/issues/1/labels",
      "DELETE /repos/Codertocat/Hello-World/issues/1/labels/reported%3A%20daily",
      "POST /repos/Codertocat/Hello-World/issues/2/labels",
      "DELETE /repos/Codertocat/Hello-World/issues/1/labels/reported%3A%20weekly",
    ]);
    expect(run.tokens).toEqual(["POST /app/installations/77/access_tokens"]);
    expect(run.configReads).toEqual([
      "GET /repos/Codertocat/Hello-World/contents/.github%2Fcloseloop.yml",
      "GET /repos/Codertocat/.github/contents/.github%2Fcloseloop.yml",
    ]);
  });
});
