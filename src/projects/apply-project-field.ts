import { REFUSAL_PAUSE_MS } from "../config/queues.js";
import type { RepoConfig } from "../config/repo-config.js";
import { sameTime } from "../domain/frequency.js";
import {
  nextProjectChange,
  parseProjectUrl,
  planProjectWrite,
  projectKey,
  projectValueOf,
  type ProjectAddress,
  type ProjectPlan,
} from "../domain/project-field.js";
import type { IssueRef } from "../domain/refs.js";
import type { Prisma } from "../store/database.js";
import {
  clearProjectError,
  readProjectInputs,
  recordProjectError,
  recordProjectField,
  type ProjectInputs,
} from "../store/project-fields.js";
import {
  addItem,
  describeProject,
  findProject,
  ProjectUnreachable,
  SET_BATCH,
  setNumber,
  setNumbers,
  type ProjectIds,
} from "../github/projects.js";
import type { GithubWriter } from "../github/writer.js";

export interface ProjectOutcome {
  /** the value the issue's reports call for; null when the feature is off or the issue unknown */
  value: number | null;
  /** the value was written to GitHub */
  written: boolean;
  skipped?: "off" | "unknown-issue" | "unchanged" | "paused" | "dry-run" | "unreachable" | "issue-gone";
}

/**
 * Keeps the issue's number field in the `project.url` project current with its distinct reports in the last
 * `project.days` days (docs/projects.md), with the fewest calls: none when the value written is unchanged; one to set
 * a changed value; for an issue not yet in the project, one add (GitHub returns the existing item if it is there) and
 * one set, with a query first when the project's ids or the issue's node id are unknown; once per project, one more
 * to create the field.
 * A project GitHub will not let closeloop use is recorded for the repository (`ProjectError`), logged once, and left
 * alone for an hour; a rate limit is thrown for the caller's retry.
 */
export async function applyProjectField(
  prisma: Prisma,
  writer: GithubWriter,
  issue: IssueRef,
  config: RepoConfig,
  now: Date = new Date(),
): Promise<ProjectOutcome> {
  const prepared = await prepare(prisma, writer, issue, config, now);
  if ("outcome" in prepared) return prepared.outcome;
  return finish(prisma, writer, prepared, () => write(writer, prepared));
}

/**
 * applyProjectField for several issues of one installation (the markings job's claim): each is decided alone, and the
 * sets of issues whose item and project ids are known go out SET_BATCH to a document, one per project field, instead
 * of one call each (docs/projects.md, Batching). An alias GitHub refuses is that issue's alone: an item gone is added
 * again as applyProjectField would. Returns, per issue in order, its outcome or the error that failed it (a rate
 * limit or a network error fails every issue of its request; the caller retries them).
 */
export async function applyProjectFields(
  prisma: Prisma,
  writer: GithubWriter,
  issues: readonly { issue: IssueRef; config: RepoConfig }[],
  now: Date = new Date(),
): Promise<(ProjectOutcome | { error: unknown })[]> {
  const results: (ProjectOutcome | { error: unknown })[] = [];
  const batches = new Map<
    string,
    { prepared: Prepared & { plan: { kind: "set"; itemId: string } }; index: number }[]
  >();
  for (const [index, { issue, config }] of issues.entries()) {
    try {
      const prepared = await prepare(prisma, writer, issue, config, now);
      if ("outcome" in prepared) results[index] = prepared.outcome;
      else if (prepared.plan.kind === "set" && writer.memory.projectIds.has(prepared.cacheKey)) {
        const batch = batches.get(prepared.cacheKey) ?? [];
        batches.set(prepared.cacheKey, batch);
        batch.push({ prepared: { ...prepared, plan: prepared.plan }, index });
      } else results[index] = await finish(prisma, writer, prepared, () => write(writer, prepared));
    } catch (error) {
      results[index] = { error };
    }
  }
  for (const [cacheKey, batch] of batches) {
    for (let start = 0; start < batch.length; start += SET_BATCH) {
      const chunk = batch.slice(start, start + SET_BATCH);
      const ids = writer.memory.projectIds.get(cacheKey);
      let answers: (Error | null)[] | undefined;
      try {
        // One alone goes as the single set, the document applyProjectField sends.
        if (chunk.length > 1 && ids !== undefined)
          answers = await setNumbers(
            writer.octokit,
            chunk[0]!.prepared.address,
            ids,
            chunk.map(({ prepared }) => ({ itemId: prepared.plan.itemId, value: prepared.value })),
          );
      } catch (error) {
        for (const { index } of chunk) results[index] = { error };
        continue;
      }
      for (const [i, { prepared, index }] of chunk.entries()) {
        const answer = answers?.[i];
        const attempt =
          answers === undefined
            ? () => write(writer, prepared)
            : answer === null
              ? async () => ({ itemId: prepared.plan.itemId })
              : answer instanceof ProjectUnreachable && answer.reason === "not-found"
                ? // The item is gone or the project: as after a single set, look again and add it.
                  () => (
                    writer.memory.projectIds.delete(cacheKey),
                    write(writer, { ...prepared, plan: { kind: "add-and-set" } })
                  )
                : () => Promise.reject(answer as Error);
        try {
          results[index] = await finish(prisma, writer, prepared, attempt);
        } catch (error) {
          results[index] = { error };
        }
      }
    }
  }
  return results;
}

interface Prepared extends Write {
  inputs: ProjectInputs;
  now: Date;
  url: string;
  key: string;
  where: string;
  dueAt: Date | null;
}

/** Reads the issue and decides: an outcome when no call is needed (off, unchanged, paused, dry run), else the write. */
async function prepare(
  prisma: Prisma,
  writer: GithubWriter,
  issue: IssueRef,
  config: RepoConfig,
  now: Date,
): Promise<{ outcome: ProjectOutcome } | Prepared> {
  const done = async (outcome: ProjectOutcome) => ({ outcome });
  const { url, field, days } = config.project;
  const address = parseProjectUrl(url);
  if (!address) return done({ value: null, written: false, skipped: "off" });
  const inputs = await readProjectInputs(prisma, issue.repository.id, issue.number);
  if (!inputs) return done({ value: null, written: false, skipped: "unknown-issue" });
  const where = `${issue.repository.owner}/${issue.repository.name}#${issue.number}`;
  const value = projectValueOf(inputs.reports, now, days);
  const dueAt = nextProjectChange(inputs.reports, now, days);
  const key = projectKey(url, field);
  const plan = planProjectWrite(inputs.written, { key, value, linked: inputs.reports.length > 0 });
  if (plan.kind === "none") {
    if (!sameTime(dueAt, inputs.dueAt)) await recordProjectField(prisma, inputs.issueId, dueAt);
    return done({ value, written: false, skipped: "unchanged" });
  }

  const error = inputs.error?.url === url ? inputs.error : null;
  if (error && now.getTime() - error.seenAt.getTime() < REFUSAL_PAUSE_MS) {
    const resume = new Date(error.seenAt.getTime() + REFUSAL_PAUSE_MS);
    writer.log.debug(
      `${where}: project writes for this repository are paused until ${resume.toISOString()} (${error.message})`,
    );
    await recordProjectField(prisma, inputs.issueId, sooner(dueAt, resume));
    return done({ value, written: false, skipped: "paused" });
  }

  if (writer.dryRun) {
    const add = plan.kind === "add-and-set" ? `add ${where} to ${describeProject(address)} and ` : "";
    writer.log.info(`[dry-run] Would ${add}set "${field}" to ${value} on ${where}`);
    await recordProjectField(prisma, inputs.issueId, dueAt);
    return done({ value, written: false, skipped: "dry-run" });
  }
  const cacheKey = `${issue.repository.installationId} ${key}`;
  return { address, field, cacheKey, issue, nodeId: inputs.nodeId, plan, value, inputs, url, key, where, dueAt, now };
}

/** Records what `attempt` wrote, or what GitHub refused (docs/projects.md, When GitHub says no). */
async function finish(
  prisma: Prisma,
  writer: GithubWriter,
  prepared: Prepared,
  attempt: () => Promise<{ itemId: string; nodeId?: string }>,
): Promise<ProjectOutcome> {
  const { address, field, cacheKey, issue, value, inputs, url, key, where, dueAt, now } = prepared;
  try {
    const { itemId, nodeId } = await attempt();
    await recordProjectField(prisma, inputs.issueId, dueAt, { key, itemId, value }, nodeId);
  } catch (failure) {
    if (!(failure instanceof ProjectUnreachable)) throw failure;
    writer.memory.projectIds.delete(cacheKey);
    if (failure.reason === "issue") {
      // Not tried again by the sweep: an event brings the issue back if it comes back.
      writer.log.warn(`${where}: GitHub does not show the issue to closeloop; its project field is left alone`);
      await recordProjectField(prisma, inputs.issueId, null);
      return { value, written: false, skipped: "issue-gone" };
    }
    const first = await recordProjectError(prisma, issue.repository.id, { url, message: failure.message, seenAt: now });
    const line = `${issue.repository.owner}/${issue.repository.name}: closeloop cannot keep the project field: ${failure.message}. Project writes for this repository pause for an hour, then one is tried again; labels and reopening go on. \`closeloop status\` lists it.`;
    if (first)
      writer.log.error({ repository: `${issue.repository.owner}/${issue.repository.name}`, project: url }, line);
    else writer.log.debug(line);
    // A project that is gone takes the issue's item with it: when it comes back (or another is named), add it again.
    const forget = failure.reason === "not-found" ? { key: null, itemId: null, value: null } : undefined;
    await recordProjectField(prisma, inputs.issueId, sooner(dueAt, new Date(now.getTime() + REFUSAL_PAUSE_MS)), forget);
    return { value, written: false, skipped: "unreachable" };
  }
  if (inputs.error) {
    await clearProjectError(prisma, issue.repository.id);
    writer.log.info(
      `${issue.repository.owner}/${issue.repository.name}: the project field works again (${describeProject(address)})`,
    );
  }
  writer.log.info(`${where}: "${field}" = ${value} in ${describeProject(address)}`);
  return { value, written: true };
}

interface Write {
  address: ProjectAddress;
  field: string;
  cacheKey: string;
  issue: IssueRef;
  /** the issue's node id as stored, or null when no payload showed it */
  nodeId: string | null;
  plan: Exclude<ProjectPlan, { kind: "none" }>;
  value: number;
}

/**
 * Makes the plan's calls; returns the issue's item id, and its node id when a lookup found one the store lacked.
 * An issue entering the project whose node id is stored costs the add and the set (plus a lookup of the project's ids
 * when this process has not cached them); without it, the lookup fetches the node id with the project's ids.
 */
async function write(
  writer: GithubWriter,
  { address, field, cacheKey, issue, nodeId, plan, value }: Write,
): Promise<{ itemId: string; nodeId?: string }> {
  const { octokit } = writer;
  if (plan.kind === "set") {
    let ids = writer.memory.projectIds.get(cacheKey);
    if (ids === undefined) writer.memory.projectIds.set(cacheKey, (ids = await findProject(octokit, address, field)));
    try {
      await setNumber(octokit, address, ids, plan.itemId, value);
      return { itemId: plan.itemId };
    } catch (failure) {
      if (!(failure instanceof ProjectUnreachable && failure.reason === "not-found")) throw failure;
      // The item is gone (a person removed the issue from the project) or the ids are stale: look again and add it;
      // the query tells a deleted project apart.
      writer.memory.projectIds.delete(cacheKey);
    }
  }
  if (nodeId !== null) {
    let ids = writer.memory.projectIds.get(cacheKey);
    if (ids === undefined) writer.memory.projectIds.set(cacheKey, (ids = await findProject(octokit, address, field)));
    try {
      return { itemId: await addAndSet(octokit, address, ids, nodeId, value) };
    } catch (failure) {
      if (!(failure instanceof ProjectUnreachable && failure.reason === "not-found")) throw failure;
      // The stored node id may be stale (the issue was transferred), or the project's ids: the lookup below tells.
      writer.memory.projectIds.delete(cacheKey);
    }
  }
  const found = await findProject(octokit, address, field, {
    owner: issue.repository.owner,
    repo: issue.repository.name,
    number: issue.number,
  });
  const ids = { projectId: found.projectId, fieldId: found.fieldId };
  writer.memory.projectIds.set(cacheKey, ids);
  return {
    itemId: await addAndSet(octokit, address, ids, found.contentId!, value),
    ...(found.contentId !== nodeId && { nodeId: found.contentId! }),
  };
}

async function addAndSet(
  octokit: GithubWriter["octokit"],
  address: ProjectAddress,
  ids: ProjectIds,
  contentId: string,
  value: number,
): Promise<string> {
  const itemId = await addItem(octokit, address, ids.projectId, contentId);
  await setNumber(octokit, address, ids, itemId, value);
  return itemId;
}

function sooner(a: Date | null, b: Date): Date {
  return a === null || a > b ? b : a;
}
