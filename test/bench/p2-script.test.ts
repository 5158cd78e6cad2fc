import { afterEach, describe, expect, it } from "vitest";
import { P2_PROJECT_SCRIPT, P2_SCRIPT, runP2Script } from "../../bench/labels-p2.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

// `npm run bench` prints P2 from this script; here every step must make exactly the calls it needs, so a label
// change that costs an extra GitHub call (or skips one) fails CI, not only the benchmark's ratio. The script's
// webhook deliveries, enrichment runs and decay sweeps are all counted where they arrive at the fake GitHub.
describe.each(ENGINES)("the P2 script on %s", (engine) => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
  });

  it("makes the minimum number of GitHub calls at every step, with one token and one config lookup overall (and two reads of a pushed config)", async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    const run = await runP2Script(database);
    expect(run.steps.map((step, i) => `#${i + 1} ${step.event}: ${step.calls.length}`)).toEqual(
      P2_SCRIPT.map((step, i) => `#${i + 1} ${run.steps[i]?.event}: ${step.minimum}`),
    );
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
      // enrichment: #2's conversation in the Billing group
      "POST /repos/Codertocat/Hello-World/issues/2/labels",
      // the decay sweep
      "DELETE /repos/Codertocat/Hello-World/issues/2/labels/reported%3A%20weekly",
      // the config push's check run, then the sweep it brought forward renaming the team label
      "POST /repos/Codertocat/Hello-World/check-runs",
      "POST /repos/Codertocat/Hello-World/issues/2/labels",
      "DELETE /repos/Codertocat/Hello-World/issues/2/labels/team%3A%20billing",
    ]);
    expect(run.tokens).toEqual(["POST /app/installations/77/access_tokens"]);
    expect(run.configReads).toEqual([
      "GET /repos/Codertocat/Hello-World/contents/.github%2Fcloseloop.yml",
      "GET /repos/Codertocat/.github/contents/.github%2Fcloseloop.yml",
      "GET /repos/Codertocat/Hello-World/contents/.github%2Fcloseloop.yml?ref=6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      // the sweep the push brought forward reads it again, not from the cache (another replica may have the push)
      "GET /repos/Codertocat/Hello-World/contents/.github%2Fcloseloop.yml",
    ]);
    expect(run.issueLabels).toEqual({ "#1": [], "#2": ["area: billing"] });
    // The steps of closeloop's own work did what they say, so their minimums are not met by doing nothing: the reads
    // (the Billing group named once: team names are cached per client), each linked ticket's link note (a PUT each, in
    // the same lanes: the step waits for both), and the sweeps' figures.
    expect(
      run.steps.flatMap((step, i) => (step.helpdeskCalls ? [`#${i + 1} ${step.helpdeskCalls.join(", ")}`] : [])),
    ).toEqual([
      "#15 GET /api/v2/tickets/2.json, GET /api/v2/tickets/7.json, GET /api/v2/tickets/8.json, PUT /api/v2/tickets/2.json, PUT /api/v2/tickets/7.json, PUT /api/v2/tickets/8.json",
      "#17 GET /api/v2/groups/360000.json, GET /api/v2/tickets/9.json, PUT /api/v2/tickets/9.json",
      "#19 GET /api/v2/tickets/10.json, PUT /api/v2/tickets/10.json",
    ]);
    expect(
      run.steps.flatMap((step, i) =>
        step.swept === undefined
          ? []
          : [`#${i + 1} ${step.swept ? `${step.swept.issues} due, ${step.swept.changed} relabelled` : "no sweep"}`],
      ),
    ).toEqual(["#20 1 due, 1 relabelled", "#21 0 due, 0 relabelled", "#23 2 due, 2 relabelled"]);
  });

  it("keeps the project field with the minimum number of calls at every step", async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    const run = await runP2Script(database, P2_PROJECT_SCRIPT);
    expect(run.steps.map((step, i) => `#${i + 1} ${step.event}: ${step.calls.length}`)).toEqual(
      P2_PROJECT_SCRIPT.map((step, i) => `#${i + 1} ${run.steps[i]?.event}: ${step.minimum}`),
    );
    expect(run.steps.flatMap((step, i) => step.calls.map((call) => `#${i + 1} ${call}`))).toEqual([
      "#1 POST /repos/Codertocat/Hello-World/check-runs",
      "#3 POST /graphql organization",
      "#3 POST /graphql createProjectV2Field",
      "#3 POST /graphql node",
      "#3 POST /graphql addProjectV2ItemById",
      "#3 POST /graphql updateProjectV2ItemFieldValue",
      "#5 POST /repos/Codertocat/Hello-World/labels",
      "#5 POST /repos/Codertocat/Hello-World/issues/1/labels",
      "#5 POST /graphql updateProjectV2ItemFieldValue",
      "#7 POST /graphql addProjectV2ItemById",
      "#7 POST /graphql updateProjectV2ItemFieldValue",
      "#8 POST /graphql updateProjectV2ItemFieldValue",
      "#9 DELETE /repos/Codertocat/Hello-World/issues/1/labels/reported%3A%20weekly",
      "#10 POST /graphql updateProjectV2ItemFieldValue x2",
    ]);
    expect(run.projectValues).toEqual({
      "I_Codertocat/Hello-World#1": { "Customer reports": 0 },
      "I_Codertocat/Hello-World#2": { "Customer reports": 0 },
    });
  });
});
