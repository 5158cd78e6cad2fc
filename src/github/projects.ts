import type { ProbotOctokit } from "probot";
import type { ProjectAddress } from "../domain/project-field.js";
import { githubMessage, githubRefused, githubStatus, graphqlErrorTypes } from "../github/errors.js";

/**
 * The GitHub GraphQL calls behind the project field (docs/projects.md). Every call is one POST /graphql. GitHub answers
 * a missing project and a missing permission with HTTP 200 and an `errors` list (types NOT_FOUND, FORBIDDEN); those,
 * a 403 refusal, and a field that is not a number become `ProjectUnreachable`. A rate limit (GraphQL's RATE_LIMITED,
 * or a 403/429 secondary limit) is thrown as Octokit threw it, for the caller's retry policy.
 */

/** The project's and its number field's node ids. */
export interface ProjectIds {
  projectId: string;
  fieldId: string;
}

/** GitHub will not let closeloop keep the field: the project is missing or out of reach, or the field is not a number. */
export class ProjectUnreachable extends Error {
  constructor(
    message: string,
    /** `issue`: the project is fine, GitHub does not show the issue (deleted, transferred, hidden) */
    readonly reason: "not-found" | "forbidden" | "field-type" | "issue",
  ) {
    super(message);
    this.name = "ProjectUnreachable";
  }
}

interface FieldFound {
  id: string;
  dataType: string;
}

interface ProjectFound {
  id: string;
  field: FieldFound | null;
}

const PROJECT_SELECTION = `projectV2(number: $number) { id field(name: $field) { ... on ProjectV2FieldCommon { id dataType } } }`;

/** `organization(login:)` or `user(login:)`: GraphQL has no single owner field that reaches both kinds of project. */
function ownerSelection(address: ProjectAddress): string {
  return `owner: ${address.owner}(login: $login) { ${PROJECT_SELECTION} }`;
}

export const PROJECT_QUERY = (address: ProjectAddress) =>
  `query($login: String!, $number: Int!, $field: String!) { ${ownerSelection(address)} }`;

/** The issue's node id (addProjectV2ItemById takes it) and the project, in one call. */
export const ISSUE_AND_PROJECT_QUERY = (address: ProjectAddress) =>
  `query($login: String!, $number: Int!, $field: String!, $repoOwner: String!, $repo: String!, $issue: Int!) { ${ownerSelection(address)} repository(owner: $repoOwner, name: $repo) { issue(number: $issue) { id } } }`;

export const CREATE_FIELD_MUTATION = `mutation($project: ID!, $name: String!) { createProjectV2Field(input: { projectId: $project, dataType: NUMBER, name: $name }) { projectV2Field { ... on ProjectV2Field { id } } } }`;

/** Every field of the project (GitHub caps a project at 50, so one page of 100 is all), to settle a creation race. */
export const FIELDS_QUERY = `query($project: ID!) { node(id: $project) { ... on ProjectV2 { fields(first: 100) { nodes { ... on ProjectV2FieldCommon { id name dataType databaseId } } } } } }`;

export const DELETE_FIELD_MUTATION = `mutation($field: ID!) { deleteProjectV2Field(input: { fieldId: $field }) { clientMutationId } }`;

export const ADD_ITEM_MUTATION = `mutation($project: ID!, $content: ID!) { addProjectV2ItemById(input: { projectId: $project, contentId: $content }) { item { id } } }`;

export const SET_NUMBER_MUTATION = `mutation($project: ID!, $item: ID!, $field: ID!, $value: Float!) { updateProjectV2ItemFieldValue(input: { projectId: $project, itemId: $item, fieldId: $field, value: { number: $value } }) { projectV2Item { id } } }`;

/**
 * The most sets sent in one document. Each is one mutation on one node, far inside GitHub's limits on a call (500,000
 * nodes; the points a query costs): the bound keeps a request, and what a failure of the whole request costs, small.
 */
export const SET_BATCH = 20;

/**
 * Several issues' values in one project field, in one document: alias `s<i>` sets `$item<i>` to `$value<i>`. GitHub
 * runs each aliased mutation on its own, so one that fails (an item removed meanwhile) leaves the others done.
 */
export function SET_NUMBERS_MUTATION(count: number): string {
  const indexes = Array.from({ length: count }, (_, i) => i);
  const variables = indexes.map((i) => `$item${i}: ID!, $value${i}: Float!`).join(", ");
  const sets = indexes
    .map(
      (i) =>
        `s${i}: updateProjectV2ItemFieldValue(input: { projectId: $project, itemId: $item${i}, fieldId: $field, value: { number: $value${i} } }) { projectV2Item { id } }`,
    )
    .join(" ");
  return `mutation($project: ID!, $field: ID!, ${variables}) { ${sets} }`;
}

/** Where the project is, for messages: `acme's project 3`. */
export function describeProject(address: ProjectAddress): string {
  return `${address.owner === "user" ? "user" : "organization"} ${address.login}'s project ${address.number}`;
}

/**
 * Finds the project and its number field, creating the field when the project has none of that name; with `issue`,
 * also the issue's node id (same call). One call, plus one when the field is created.
 */
export async function findProject(
  octokit: ProbotOctokit,
  address: ProjectAddress,
  fieldName: string,
  issue?: { owner: string; repo: string; number: number },
): Promise<ProjectIds & { contentId?: string }> {
  const variables = { login: address.login, number: address.number, field: fieldName };
  type Answer = {
    owner: { projectV2: ProjectFound | null } | null;
    repository?: { issue: { id: string } | null } | null;
  };
  const answer = await call<Answer>(
    octokit,
    address,
    issue ? ISSUE_AND_PROJECT_QUERY(address) : PROJECT_QUERY(address),
    issue ? { ...variables, repoOwner: issue.owner, repo: issue.repo, issue: issue.number } : variables,
  );
  const project = answer.owner?.projectV2;
  if (!project) throw notFound(address);
  let fieldId = project.field?.id;
  if (project.field && project.field.dataType !== "NUMBER") {
    throw new ProjectUnreachable(
      `the field "${fieldName}" of ${describeProject(address)} is a ${project.field.dataType.toLowerCase()} field, not a number; rename it or set project.field to another name`,
      "field-type",
    );
  }
  if (fieldId === undefined) {
    const created = await call<{ createProjectV2Field: { projectV2Field: { id?: string } | null } }>(
      octokit,
      address,
      CREATE_FIELD_MUTATION,
      { project: project.id, name: fieldName },
    );
    const createdId = created.createProjectV2Field.projectV2Field?.id;
    if (createdId === undefined)
      throw new Error(
        `GitHub created the field "${fieldName}" in ${describeProject(address)} but did not return its id`,
      );
    fieldId = await oldestField(octokit, address, project.id, fieldName, createdId);
  }
  const contentId = answer.repository?.issue?.id;
  if (issue && contentId === undefined)
    throw new ProjectUnreachable(
      `GitHub does not show ${issue.owner}/${issue.repo}#${issue.number} to closeloop`,
      "issue",
    );
  return { projectId: project.id, fieldId, ...(contentId !== undefined && { contentId }) };
}

/**
 * Two replicas (or two installations' jobs) that both found the field missing may each have created one. Both read the
 * fields back and use the oldest number field of that name (lowest databaseId), and the one whose creation is not the
 * oldest deletes it, so the project ends with one field and every writer uses it (docs/projects.md, Creating the
 * field). Two calls more, once per project.
 */
async function oldestField(
  octokit: ProbotOctokit,
  address: ProjectAddress,
  projectId: string,
  fieldName: string,
  createdId: string,
): Promise<string> {
  type Field = { id?: string; name?: string; dataType?: string; databaseId?: number };
  const answer = await call<{ node: { fields?: { nodes: (Field | null)[] } } | null }>(octokit, address, FIELDS_QUERY, {
    project: projectId,
  });
  const same = (answer.node?.fields?.nodes ?? []).filter(
    (field): field is Field & { id: string } =>
      field?.name === fieldName && field.dataType === "NUMBER" && field.id !== undefined,
  );
  const oldest = same.sort((a, b) => (a.databaseId ?? Infinity) - (b.databaseId ?? Infinity))[0]?.id ?? createdId;
  if (oldest !== createdId) await call(octokit, address, DELETE_FIELD_MUTATION, { field: createdId });
  return oldest;
}

/** Adds the issue to the project (GitHub answers with the existing item when it is there already); its item id. */
export async function addItem(
  octokit: ProbotOctokit,
  address: ProjectAddress,
  projectId: string,
  contentId: string,
): Promise<string> {
  const answer = await call<{ addProjectV2ItemById: { item: { id: string } | null } }>(
    octokit,
    address,
    ADD_ITEM_MUTATION,
    { project: projectId, content: contentId },
  );
  const itemId = answer.addProjectV2ItemById.item?.id;
  if (itemId === undefined) throw notFound(address);
  return itemId;
}

export async function setNumber(
  octokit: ProbotOctokit,
  address: ProjectAddress,
  ids: ProjectIds,
  itemId: string,
  value: number,
): Promise<void> {
  await call(octokit, address, SET_NUMBER_MUTATION, {
    project: ids.projectId,
    item: itemId,
    field: ids.fieldId,
    value,
  });
}

/**
 * Sets each item's value with one call (up to SET_BATCH; the caller splits longer lists). Returns, per set in order,
 * null when it was made or the error its alias answered: `ProjectUnreachable` for NOT_FOUND (the item or the project
 * is gone) and FORBIDDEN, else an Error with GitHub's message. A failure of the whole request (a rate limit, a refused token, a network error) is thrown as `call`
 * throws it.
 */
export async function setNumbers(
  octokit: ProbotOctokit,
  address: ProjectAddress,
  ids: ProjectIds,
  sets: readonly { itemId: string; value: number }[],
): Promise<(Error | null)[]> {
  if (sets.length > SET_BATCH) throw new Error(`setNumbers takes at most ${SET_BATCH} sets, not ${sets.length}`);
  const variables: Record<string, unknown> = { project: ids.projectId, field: ids.fieldId };
  sets.forEach((set, i) => Object.assign(variables, { [`item${i}`]: set.itemId, [`value${i}`]: set.value }));
  try {
    await octokit.graphql(SET_NUMBERS_MUTATION(sets.length), variables);
    return sets.map(() => null);
  } catch (error) {
    const failed = aliasErrors(error, sets.length);
    if (failed === null) throw translate(address, error);
    return failed.map((entry) => (entry === undefined ? null : aliasFailure(address, entry)));
  }
}

/**
 * Each alias's error (`path[0]` = `s<i>`), when every error of the answer names one and none is a rate limit; null
 * when the answer failed as a whole.
 */
function aliasErrors(error: unknown, count: number): ({ type?: string; message?: string } | undefined)[] | null {
  const errors = (error as { errors?: { type?: string; path?: unknown[]; message?: string }[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0 || githubStatus(error) !== undefined) return null;
  const byAlias: ({ type?: string; message?: string } | undefined)[] = Array.from({ length: count });
  for (const entry of errors) {
    const alias = entry.path?.[0];
    const index = typeof alias === "string" ? /^s(\d+)$/.exec(alias)?.[1] : undefined;
    if (index === undefined || Number(index) >= count || entry.type === "RATE_LIMITED" || entry.type === "RATE_LIMIT")
      return null;
    byAlias[Number(index)] = entry;
  }
  return byAlias;
}

async function call<T>(
  octokit: ProbotOctokit,
  address: ProjectAddress,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  try {
    return await octokit.graphql<T>(query, variables);
  } catch (error) {
    throw translate(address, error);
  }
}

/** What a failed call throws: `ProjectUnreachable` for GitHub's refusals (docs/projects.md), else the error itself. */
function translate(address: ProjectAddress, error: unknown): unknown {
  const types = graphqlErrorTypes(error);
  if (types.includes("NOT_FOUND")) {
    const issueOnly = notFoundPaths(error).every((path) => path === "repository");
    return issueOnly
      ? new ProjectUnreachable("GitHub does not show the issue to closeloop", "issue")
      : notFound(address);
  }
  if (types.includes("FORBIDDEN") || githubRefused(error) || githubStatus(error) === 401)
    return forbidden(address, githubMessage(error).split("\n").pop()?.replace(/^ - /, ""));
  return error;
}

/** One alias's error in a batched answer. */
function aliasFailure(address: ProjectAddress, entry: { type?: string; message?: string }): Error {
  if (entry.type === "NOT_FOUND") return notFound(address);
  if (entry.type === "FORBIDDEN") return forbidden(address, entry.message);
  return new Error(`GitHub did not set the value (${entry.type ?? "error"}: ${entry.message ?? "no message"})`);
}

function forbidden(address: ProjectAddress, reason: string | undefined): ProjectUnreachable {
  return new ProjectUnreachable(
    `GitHub refused access to ${describeProject(address)} (${reason}); accept the app's "Organization projects: read and write" permission in the installation settings`,
    "forbidden",
  );
}

function notFound(address: ProjectAddress): ProjectUnreachable {
  const hint =
    address.owner === "user"
      ? "GitHub App installation tokens cannot reach projects owned by a user account; use an organization's project"
      : `check project.url, and that the app is installed on ${address.login} with "Organization projects: read and write"`;
  return new ProjectUnreachable(
    `${describeProject(address)} was not found or is not visible to closeloop (${hint})`,
    "not-found",
  );
}

/** The first path element of each NOT_FOUND error: `owner` (the project) or `repository` (the issue). */
function notFoundPaths(error: unknown): unknown[] {
  const errors = (error as { errors?: { type?: unknown; path?: unknown[] }[] }).errors ?? [];
  return errors.filter((entry) => entry.type === "NOT_FOUND").map((entry) => entry.path?.[0]);
}
