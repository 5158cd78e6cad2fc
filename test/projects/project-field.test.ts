import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LabelSweepWorker } from "../../src/jobs/label-sweep-worker.js";
import { IssueMarkingsWorker } from "../../src/jobs/issue-markings-worker.js";
import { listProjectErrors, markProjectsDue } from "../../src/store/project-fields.js";
import { startHarness, TEST_NOW, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { GITHUB_API, nockConfig, receive, webhookExample } from "../support/github.js";

const OWNER = "Codertocat";
const REPO = "Hello-World";
const URL = "https://github.com/orgs/acme/projects/3";
// Frequency labels out of reach, so the markings job makes no label call and every call seen is the project's.
const CONFIG = `frequency:\n  daily: { reports: 100 }\n  weekly: { reports: 50 }\nproject:\n  url: ${URL}\n`;
const DAY = 24 * 60 * 60 * 1000;
const at = (hour: number) => `2026-12-31T${String(hour).padStart(2, "0")}:00:00Z`;

// The documents closeloop sends, written out here so a change to them shows in this test.
const PROJECT_PART = `owner: organization(login: $login) { projectV2(number: $number) { id field(name: $field) { ... on ProjectV2FieldCommon { id dataType } } } }`;
const LOOKUP_WITH_ISSUE = `query($login: String!, $number: Int!, $field: String!, $repoOwner: String!, $repo: String!, $issue: Int!) { ${PROJECT_PART} repository(owner: $repoOwner, name: $repo) { issue(number: $issue) { id } } }`;
const LOOKUP = `query($login: String!, $number: Int!, $field: String!) { ${PROJECT_PART} }`;
const CREATE_FIELD = `mutation($project: ID!, $name: String!) { createProjectV2Field(input: { projectId: $project, dataType: NUMBER, name: $name }) { projectV2Field { ... on ProjectV2Field { id } } } }`;
const FIELDS = `query($project: ID!) { node(id: $project) { ... on ProjectV2 { fields(first: 100) { nodes { ... on ProjectV2FieldCommon { id name dataType databaseId } } } } } }`;
const DELETE_FIELD = `mutation($field: ID!) { deleteProjectV2Field(input: { fieldId: $field }) { clientMutationId } }`;
const numberField = (id: string, databaseId: number) => ({
  id,
  name: "Customer reports",
  dataType: "NUMBER",
  databaseId,
});
const ADD = `mutation($project: ID!, $content: ID!) { addProjectV2ItemById(input: { projectId: $project, contentId: $content }) { item { id } } }`;
const SET = `mutation($project: ID!, $item: ID!, $field: ID!, $value: Float!) { updateProjectV2ItemFieldValue(input: { projectId: $project, itemId: $item, fieldId: $field, value: { number: $value } }) { projectV2Item { id } } }`;

// The issue's node id, as the webhook payload shows it (node_id).
const NODE_ID = "MDU6SXNzdWU0NDQ1MDAwNDE=";
const lookupVariables = { login: "acme", number: 3, field: "Customer reports" };
const withIssue = { ...lookupVariables, repoOwner: OWNER, repo: REPO, issue: 1 };
const project = (field: { id: string; dataType: string } | null) => ({ owner: { projectV2: { id: "PVT_1", field } } });

function comment(id: number, ticket: number, hour: number, issue: Record<string, unknown> = {}): Record<string, any> {
  const payload = webhookExample<Record<string, any>>("issue_comment", "created");
  payload.installation = { id: 77, node_id: "x" };
  Object.assign(payload.comment, {
    id,
    body: `Customer: https://acme.zendesk.com/agent/tickets/${ticket}`,
    created_at: at(hour),
    updated_at: at(hour),
  });
  Object.assign(payload.issue, { labels: [], updated_at: at(hour) }, issue);
  return payload;
}

describe.each(ENGINES)("the project field on %s", (engine) => {
  let harness: Harness;
  const calls: { query: string; variables: Record<string, unknown> }[] = [];
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  const workerDeps = () => ({
    prisma: harness.database.prisma,
    github: (id: number) => harness.probot.auth(id),
    configs: harness.deps.configs,
    memory: harness.deps.memory,
    log,
  });
  const worker = (now = TEST_NOW) =>
    new IssueMarkingsWorker({ ...workerDeps(), engine: harness.database.engine, now: () => now }, { coalesceMs: 0 });
  /** One POST /graphql answered with `data` (or with `errors`, as GitHub answers a missing project: HTTP 200). */
  const nockGraphql = (answer: { data?: unknown; errors?: unknown[] }, headers: Record<string, string> = {}) =>
    nock(GITHUB_API)
      .post("/graphql")
      .reply(200, (_uri, body) => (calls.push(body as (typeof calls)[number]), answer), headers);
  const issue = () => harness.database.prisma.issue.findFirstOrThrow();
  const link = async (id: number, ticket: number, issue?: Record<string, unknown>) =>
    receive(harness.probot, "issue_comment", comment(id, ticket, id, issue));

  /** The issue's first link, added to the project whose number field exists (item PVTI_1, value 1); calls forgotten. */
  const linkFirst = async () => {
    await link(1, 101);
    nockAdd("PVTF_1", "PVTI_1");
    await worker().drain();
    calls.length = 0;
  };
  /** Issues #2, #3, … (node id I_<n>) linked after the first and added (item PVTI_<n>, value 1); calls forgotten. */
  const linkMore = async (...numbers: number[]) => {
    for (const n of numbers) {
      await link(n, 100 + n, { number: n, id: 2000 + n, node_id: `I_${n}` });
      nockGraphql({ data: { addProjectV2ItemById: { item: { id: `PVTI_${n}` } } } });
      nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: `PVTI_${n}` } } } });
    }
    await worker().drain();
    calls.length = 0;
  };
  /** The lookup of the project's ids, the add and the set of an issue entering the project (its node id stored). */
  const nockAdd = (fieldId: string, itemId: string) => {
    nockGraphql({ data: project({ id: fieldId, dataType: "NUMBER" }) });
    nockGraphql({ data: { addProjectV2ItemById: { item: { id: itemId } } } });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: itemId } } } });
  };

  beforeEach(async () => {
    harness = await startHarness(engine);
    delete harness.deps.labelsWanted;
    calls.length = 0;
    lines.length = 0;
    nockConfig(OWNER, REPO, CONFIG);
  });
  afterEach(async () => {
    await harness.close();
  });

  it("adds a newly linked issue to the project, creating the number field, and sets its report count", async () => {
    await link(1, 101);
    nockGraphql({ data: project(null) });
    nockGraphql({ data: { createProjectV2Field: { projectV2Field: { id: "PVTF_1" } } } });
    nockGraphql({
      data: {
        node: {
          fields: {
            nodes: [{ id: "PVTF_T", name: "Title", dataType: "TITLE", databaseId: 1 }, numberField("PVTF_1", 7)],
          },
        },
      },
    });
    nockGraphql({ data: { addProjectV2ItemById: { item: { id: "PVTI_1" } } } });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_1" } } } });
    expect(await worker().drain()).toBe(1);
    // The payload's node_id is stored, so the lookup is only the project's.
    expect(calls).toEqual([
      { query: LOOKUP, variables: lookupVariables },
      { query: CREATE_FIELD, variables: { project: "PVT_1", name: "Customer reports" } },
      { query: FIELDS, variables: { project: "PVT_1" } },
      { query: ADD, variables: { project: "PVT_1", content: NODE_ID } },
      { query: SET, variables: { project: "PVT_1", item: "PVTI_1", field: "PVTF_1", value: 1 } },
    ]);
    // The report leaves the 30-day window one millisecond after 30 days: then the sweep marks it.
    expect(await issue()).toMatchObject({
      nodeId: NODE_ID,
      projectKey: `${URL}#Customer reports`,
      projectItemId: "PVTI_1",
      projectValue: 1,
      projectDueAt: new Date(Date.parse(at(1)) + 30 * DAY + 1),
    });
  });

  it("converges on one field when another replica created the same field at the same moment", async () => {
    await link(1, 101);
    // This replica's creation (PVTF_9) came second: GitHub lists the other's (PVTF_8) with a lower databaseId.
    nockGraphql({ data: project(null) });
    nockGraphql({ data: { createProjectV2Field: { projectV2Field: { id: "PVTF_9" } } } });
    nockGraphql({ data: { node: { fields: { nodes: [numberField("PVTF_9", 12), numberField("PVTF_8", 11)] } } } });
    nockGraphql({ data: { deleteProjectV2Field: { clientMutationId: null } } });
    nockGraphql({ data: { addProjectV2ItemById: { item: { id: "PVTI_1" } } } });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_1" } } } });
    await worker().drain();
    expect(calls).toEqual([
      { query: LOOKUP, variables: lookupVariables },
      { query: CREATE_FIELD, variables: { project: "PVT_1", name: "Customer reports" } },
      { query: FIELDS, variables: { project: "PVT_1" } },
      { query: DELETE_FIELD, variables: { field: "PVTF_9" } },
      { query: ADD, variables: { project: "PVT_1", content: NODE_ID } },
      { query: SET, variables: { project: "PVT_1", item: "PVTI_1", field: "PVTF_8", value: 1 } },
    ]);
  });

  it("adds another issue with two calls, add and set, once the project's ids are known", async () => {
    await linkFirst();
    await link(2, 102, { number: 2, id: 2002, node_id: "I_2" });
    nockGraphql({ data: { addProjectV2ItemById: { item: { id: "PVTI_2" } } } });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_2" } } } });
    await worker().drain();
    expect(calls).toEqual([
      { query: ADD, variables: { project: "PVT_1", content: "I_2" } },
      { query: SET, variables: { project: "PVT_1", item: "PVTI_2", field: "PVTF_1", value: 1 } },
    ]);
    const second = await harness.database.prisma.issue.findFirstOrThrow({ where: { number: 2 } });
    expect(second).toMatchObject({ nodeId: "I_2", projectItemId: "PVTI_2", projectValue: 1 });
  });

  it("looks the node id up with the project when no payload showed it, and when the stored one is stale", async () => {
    await link(1, 101, { node_id: undefined });
    expect((await issue()).nodeId).toBeNull();
    nockGraphql({ data: { ...project({ id: "PVTF_1", dataType: "NUMBER" }), repository: { issue: { id: "I_1" } } } });
    nockGraphql({ data: { addProjectV2ItemById: { item: { id: "PVTI_1" } } } });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_1" } } } });
    await worker().drain();
    expect(calls.map((call) => call.query)).toEqual([LOOKUP_WITH_ISSUE, ADD, SET]);
    expect(calls[0]!.variables).toEqual(withIssue);
    expect(await issue()).toMatchObject({ nodeId: "I_1", projectItemId: "PVTI_1" });

    // The item is removed from the project and the stored node id no longer resolves: the add with it fails, the
    // lookup finds the issue's current id, and the add and set follow.
    calls.length = 0;
    await harness.database.prisma.issue.updateMany({
      data: { nodeId: "I_stale", projectItemId: null, projectKey: null, projectValue: null },
    });
    await link(2, 102, { node_id: undefined });
    nockGraphql({
      errors: [
        {
          type: "NOT_FOUND",
          path: ["addProjectV2ItemById"],
          message: "Could not resolve to a node with the global id of 'I_stale'",
        },
      ],
    });
    nockGraphql({ data: { ...project({ id: "PVTF_1", dataType: "NUMBER" }), repository: { issue: { id: "I_1" } } } });
    nockGraphql({ data: { addProjectV2ItemById: { item: { id: "PVTI_3" } } } });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_3" } } } });
    await worker().drain();
    expect(calls.map((call) => call.query)).toEqual([ADD, LOOKUP_WITH_ISSUE, ADD, SET]);
    expect(calls[0]!.variables).toEqual({ project: "PVT_1", content: "I_stale" });
    expect(await issue()).toMatchObject({ nodeId: "I_1", projectItemId: "PVTI_3", projectValue: 2 });
    expect(await listProjectErrors(harness.database.prisma)).toEqual([]);
  });

  it("sets a changed value with one call, makes none when it is unchanged, and looks the project up once after a restart", async () => {
    await linkFirst();

    await link(2, 102);
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_1" } } } });
    await worker().drain();
    expect(calls).toEqual([{ query: SET, variables: { project: "PVT_1", item: "PVTI_1", field: "PVTF_1", value: 2 } }]);

    // A third comment linking a conversation already linked: the value stays 2, no call (nock fails any request).
    calls.length = 0;
    await link(3, 102);
    await worker().drain();
    expect(calls).toEqual([]);

    // A new process knows the item but not the field's id: one lookup, then the set.
    harness.deps.memory.projectIds.clear();
    await link(4, 104);
    nockGraphql({ data: project({ id: "PVTF_1", dataType: "NUMBER" }) });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_1" } } } });
    await worker().drain();
    expect(calls).toEqual([
      { query: LOOKUP, variables: lookupVariables },
      { query: SET, variables: { project: "PVT_1", item: "PVTI_1", field: "PVTF_1", value: 3 } },
    ]);
    expect(await issue()).toMatchObject({ projectValue: 3 });
  });

  it("lowers the value when the decay sweep finds reports left the window", async () => {
    await linkFirst();

    const later = new Date(TEST_NOW.getTime() + 31 * DAY);
    expect(await markProjectsDue(harness.database.prisma, TEST_NOW)).toBe(0);
    // The hourly sweep (its own clock a month on) hands the issue to the markings job.
    const sweeper = new LabelSweepWorker({ ...workerDeps(), target: harness.database.target, now: () => later });
    expect(await sweeper.runOnce()).not.toBeNull();
    expect((await issue()).labelsWantedAt).not.toBeNull();
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_1" } } } });
    expect(await worker(later).drain()).toBe(1);
    expect(calls).toEqual([{ query: SET, variables: { project: "PVT_1", item: "PVTI_1", field: "PVTF_1", value: 0 } }]);
    // Nothing left in the window: nothing to wait for.
    expect(await issue()).toMatchObject({ projectValue: 0, projectDueAt: null, labelsWantedAt: null });
  });

  it("sets the values the sweep hands over in one document, and re-adds the one item GitHub no longer has", async () => {
    await linkFirst();
    await linkMore(2, 3);

    // A month on every report has left the window: the sweep hands the three issues to the markings job, which claims
    // them together. One document sets all three; GitHub answers the second alias NOT_FOUND (a person removed the
    // item): that issue alone is looked up and added again; the others are done.
    const later = new Date(TEST_NOW.getTime() + 31 * DAY);
    expect(await markProjectsDue(harness.database.prisma, later)).toBe(3);
    nockGraphql({
      data: { s0: { projectV2Item: { id: "PVTI_1" } }, s1: null, s2: { projectV2Item: { id: "PVTI_3" } } },
      errors: [
        { type: "NOT_FOUND", path: ["s1"], message: "Could not resolve to a node with the global id of 'PVTI_2'" },
      ],
    });
    nockGraphql({ data: project({ id: "PVTF_1", dataType: "NUMBER" }) });
    nockGraphql({ data: { addProjectV2ItemById: { item: { id: "PVTI_4" } } } });
    nockGraphql({ data: { updateProjectV2ItemFieldValue: { projectV2Item: { id: "PVTI_4" } } } });
    expect(await worker(later).drain()).toBe(3);
    const set = (i: number) =>
      `s${i}: updateProjectV2ItemFieldValue(input: { projectId: $project, itemId: $item${i}, fieldId: $field, value: { number: $value${i} } }) { projectV2Item { id } }`;
    expect(calls).toEqual([
      {
        query: `mutation($project: ID!, $field: ID!, $item0: ID!, $value0: Float!, $item1: ID!, $value1: Float!, $item2: ID!, $value2: Float!) { ${set(0)} ${set(1)} ${set(2)} }`,
        variables: {
          project: "PVT_1",
          field: "PVTF_1",
          item0: "PVTI_1",
          value0: 0,
          item1: "PVTI_2",
          value1: 0,
          item2: "PVTI_3",
          value2: 0,
        },
      },
      { query: LOOKUP, variables: lookupVariables },
      { query: ADD, variables: { project: "PVT_1", content: "I_2" } },
      { query: SET, variables: { project: "PVT_1", item: "PVTI_4", field: "PVTF_1", value: 0 } },
    ]);
    const rows = await harness.database.prisma.issue.findMany({ orderBy: { number: "asc" } });
    expect(rows.map((row) => [row.number, row.projectItemId, row.projectValue, row.labelsWantedAt])).toEqual([
      [1, "PVTI_1", 0, null],
      [2, "PVTI_4", 0, null],
      [3, "PVTI_3", 0, null],
    ]);
    expect(await listProjectErrors(harness.database.prisma)).toEqual([]);
  });

  it("P2 figure: a sweep lowering 25 issues' values makes 2 requests (20 + 5 sets), 0.08 calls per changed issue", async () => {
    // GitHub's side, by document: the project, adds (item PVTI_<node id>) and sets, single or aliased.
    nock(GITHUB_API)
      .post("/graphql")
      .times(200)
      .reply(200, (_uri, body) => {
        const { query, variables } = body as (typeof calls)[number];
        calls.push({ query, variables });
        if (query.includes("addProjectV2ItemById"))
          return { data: { addProjectV2ItemById: { item: { id: `PVTI_${String(variables.content)}` } } } };
        if (query.includes("updateProjectV2ItemFieldValue")) return { data: {} };
        return { data: project({ id: "PVTF_1", dataType: "NUMBER" }) };
      });
    for (let n = 1; n <= 25; n++)
      await receive(
        harness.probot,
        "issue_comment",
        comment(n, 100 + n, 1 + (n % 20), { number: n, id: 3000 + n, node_id: `I_${n}` }),
      );
    await worker().drain();
    expect(calls).toHaveLength(1 + 25 * 2);
    calls.length = 0;

    const later = new Date(TEST_NOW.getTime() + 31 * DAY);
    expect(await markProjectsDue(harness.database.prisma, later)).toBe(25);
    expect(await worker(later).drain()).toBe(25);
    const sets = calls.map((call) => Object.keys(call.variables).filter((name) => name.startsWith("item")).length);
    expect(sets).toEqual([20, 5]);
    expect(await harness.database.prisma.issue.count({ where: { projectValue: 0 } })).toBe(25);
    nock.cleanAll();
  });

  it("retries every issue of a batch GitHub's rate limit refused as a whole", async () => {
    await linkFirst();
    await linkMore(2);

    const later = new Date(TEST_NOW.getTime() + 31 * DAY);
    expect(await markProjectsDue(harness.database.prisma, later)).toBe(2);
    const reset = Math.ceil(Date.now() / 1000) + 120;
    nockGraphql(
      { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation ID 77." }] },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    );
    await worker(later).drain();
    expect(calls).toHaveLength(1);
    const rows = await harness.database.prisma.issue.findMany({ orderBy: { number: "asc" } });
    for (const row of rows) {
      expect(row.projectValue).toBe(1);
      expect(row.labelsWantedAt!.getTime()).toBeGreaterThanOrEqual(reset * 1000 - 1_000);
    }
  });

  it("retries after GitHub's GraphQL rate limit, waiting for its reset", async () => {
    await link(1, 101);
    const reset = Math.ceil(Date.now() / 1000) + 120;
    nockGraphql(
      { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation ID 77." }] },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    );
    await worker().drain();
    const row = await issue();
    expect(row.projectItemId).toBeNull();
    expect(row.labelsWantedAt!.getTime()).toBeGreaterThanOrEqual(reset * 1000 - 1_000);
    expect(lines.some((line) => line.includes("retry in"))).toBe(true);
  });

  it("retries after GitHub's GraphQL rate limit as the server's Octokit throws it, with throttling on", async () => {
    // Probot's throttling plugin turns a GraphQL RATE_LIMITED answer into a plain Error carrying `response` (data,
    // headers), retries it as its onRateLimit says, then throws it: here at once, as once Probot's retries are spent.
    const throttled = new Probot({
      appId: 1,
      githubToken: "test-token",
      log: pino({ level: "silent" }),
      Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
        ...options,
        retry: { enabled: false },
        throttle: { enabled: true, onRateLimit: () => false, onSecondaryRateLimit: () => false },
      })),
    });
    await link(1, 101);
    const reset = Math.ceil(Date.now() / 1000) + 120;
    nockGraphql(
      { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation ID 77." }] },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    );
    await new IssueMarkingsWorker(
      { ...workerDeps(), github: (id) => throttled.auth(id), engine: harness.database.engine, now: () => TEST_NOW },
      { coalesceMs: 0 },
    ).drain();
    const row = await issue();
    expect(row.projectItemId).toBeNull();
    expect(row.labelsWantedAt!.getTime()).toBeGreaterThanOrEqual(reset * 1000 - 1_000);
    expect(await listProjectErrors(harness.database.prisma)).toEqual([]);
  });

  it("records a project deleted under it once, drops its ids, and makes no call for an hour", async () => {
    await linkFirst();

    await link(2, 102);
    const gone = {
      errors: [
        {
          type: "NOT_FOUND",
          path: ["owner", "projectV2"],
          message: "Could not resolve to a ProjectV2 with the number 3.",
        },
      ],
    };
    nockGraphql({
      errors: [
        {
          type: "NOT_FOUND",
          path: ["updateProjectV2ItemFieldValue"],
          message: "Could not resolve to a node with the global id of 'PVTI_1'",
        },
      ],
    });
    nockGraphql({ data: { owner: { projectV2: null } }, ...gone });
    await worker().drain();
    expect(calls.map((call) => call.query)).toEqual([SET, LOOKUP]);
    const [error] = await listProjectErrors(harness.database.prisma);
    expect(error).toMatchObject({ repository: `${OWNER}/${REPO}`, url: URL });
    expect(error!.message).toContain("organization acme's project 3 was not found");
    // Not retried by the job: the issue's mark is done, its item forgotten, the next try after the pause.
    expect(await issue()).toMatchObject({
      labelsWantedAt: null,
      labelsAttempts: 0,
      projectItemId: null,
      projectDueAt: new Date(TEST_NOW.getTime() + 60 * 60_000),
    });
    expect(
      lines.filter((line) => line.includes("cannot keep the project field") && line.includes('"level":50')),
    ).toHaveLength(1);

    // Within the hour: no call at all (nock fails any request).
    calls.length = 0;
    await link(3, 103);
    await worker().drain();
    expect(calls).toEqual([]);

    // After it the project is back: the error is cleared; still one error line in all.
    calls.length = 0;
    const later = new Date(TEST_NOW.getTime() + 61 * 60_000);
    await link(4, 104);
    nockAdd("PVTF_2", "PVTI_2");
    await worker(later).drain();
    expect(calls.map((call) => call.query)).toEqual([LOOKUP, ADD, SET]);
    expect(await listProjectErrors(harness.database.prisma)).toEqual([]);
    expect(await issue()).toMatchObject({ projectItemId: "PVTI_2", projectValue: 4 });
    expect(
      lines.filter((line) => line.includes("cannot keep the project field") && line.includes('"level":50')),
    ).toHaveLength(1);
  });

  it("records a missing permission, and a field that is not a number, without failing the labels", async () => {
    await link(1, 101);
    nockGraphql({
      data: null,
      errors: [{ type: "FORBIDDEN", path: ["owner", "projectV2"], message: "Resource not accessible by integration" }],
    });
    await worker().drain();
    let [error] = await listProjectErrors(harness.database.prisma);
    expect(error!.message).toContain(
      "GitHub refused access to organization acme's project 3 (Resource not accessible by integration); accept the app's \"Organization projects: read and write\" permission",
    );
    expect(await issue()).toMatchObject({ labelsWantedAt: null, projectItemId: null });

    // An hour later one try, refused the same way: recorded again, not logged again.
    const refusals = () =>
      lines.filter((line) => line.includes("cannot keep the project field") && line.includes('"level":50'));
    expect(refusals()).toHaveLength(1);
    await link(2, 102);
    nockGraphql({
      data: null,
      errors: [{ type: "FORBIDDEN", path: ["owner", "projectV2"], message: "Resource not accessible by integration" }],
    });
    await worker(new Date(TEST_NOW.getTime() + 61 * 60_000)).drain();
    expect(refusals()).toHaveLength(1);

    const later = new Date(TEST_NOW.getTime() + 122 * 60_000);
    await link(3, 103);
    nockGraphql({ data: project({ id: "PVTSSF_1", dataType: "SINGLE_SELECT" }) });
    await worker(later).drain();
    expect(refusals()).toHaveLength(2);
    [error] = await listProjectErrors(harness.database.prisma);
    expect(error!.message).toBe(
      'the field "Customer reports" of organization acme\'s project 3 is a single_select field, not a number; rename it or set project.field to another name',
    );
  });

  it("leaves an issue GitHub does not show alone, recording no repository problem", async () => {
    await link(1, 101, { node_id: undefined });
    nockGraphql({
      data: { ...project({ id: "PVTF_1", dataType: "NUMBER" }), repository: { issue: null } },
      errors: [
        {
          type: "NOT_FOUND",
          path: ["repository", "issue"],
          message: "Could not resolve to an Issue with the number of 1.",
        },
      ],
    });
    await worker().drain();
    expect(calls.map((call) => call.query)).toEqual([LOOKUP_WITH_ISSUE]);
    expect(await listProjectErrors(harness.database.prisma)).toEqual([]);
    expect(await issue()).toMatchObject({ labelsWantedAt: null, projectItemId: null, projectDueAt: null });
  });

  it("in a dry run logs what it would write and makes no call", async () => {
    await link(1, 101);
    const dry = new IssueMarkingsWorker(
      { ...workerDeps(), engine: harness.database.engine, dryRun: true, now: () => TEST_NOW },
      { coalesceMs: 0 },
    );
    expect(await dry.drain()).toBe(1);
    expect(calls).toEqual([]);
    expect(
      lines.some((line) =>
        line.includes(
          `[dry-run] Would add ${OWNER}/${REPO}#1 to organization acme's project 3 and set \\"Customer reports\\" to 1 on ${OWNER}/${REPO}#1`,
        ),
      ),
    ).toBe(true);
    expect(await issue()).toMatchObject({ projectItemId: null, projectValue: null });
  });
});
