import type { Logger, Probot } from "probot";
import { installationConfigReader } from "../github/installation-config.js";
import type { GithubMemory } from "../github/memory.js";
import type { RepoConfigCache } from "../github/repo-config-cache.js";
import type { Prisma } from "../store/database.js";
import { labelInputsKey, readLabelInputs, readLabelInputsOf, type LabelInputs } from "../store/labels.js";
import { markLabelsWantedSince } from "../store/issue-markings.js";
import { applyProjectField, applyProjectFields, type ProjectOutcome } from "../projects/apply-project-field.js";
import { applyIssueLabels, type LabelOutcome, type PayloadLabels } from "./apply-labels.js";
import type { IssueRef } from "../domain/refs.js";

/** What applying labels outside a webhook's context needs: the app's Octokit per installation, and the config cache. */
export interface InstallationLabelDeps {
  prisma: Prisma;
  /** an installation's Octokit (Probot's app.auth) */
  github: (installationId: number) => ReturnType<Probot["auth"]>;
  /** the repositories' `.github/closeloop.yml`, shared with the webhook handlers (a config push drops an entry) */
  configs: RepoConfigCache;
  log: Logger;
  /** the app's memory of GitHub, shared with the webhook handlers */
  memory: GithubMemory;
  /** CLOSELOOP_DRY_RUN: labels are logged, not written */
  dryRun?: boolean;
  /** the clock labels are evaluated against; tests fix it */
  now?: () => Date;
}

/**
 * The issue's frequency and team labels, as the markings job applies them (applyIssuesWithApp), with the
 * installation's Octokit instead of a webhook's context: for the decay sweep. Without `seen` (the
 * labels the newest payload showed), closeloop's own record of the issue's labels stands in. Then, when `project.url`
 * is set, the issue's number field in that project (docs/projects.md), from the same links.
 */
export async function applyLabelsWithApp(
  deps: InstallationLabelDeps,
  issue: IssueRef,
  seen?: PayloadLabels,
): Promise<LabelOutcome & { project: ProjectOutcome }> {
  const octokit = await deps.github(Number(issue.repository.installationId));
  const { owner, name } = issue.repository;
  const config = await deps.configs.get(issue.repository, installationConfigReader(octokit, owner, name));
  const writer = { octokit, log: deps.log, dryRun: deps.dryRun ?? false, memory: deps.memory };
  const now = deps.now?.() ?? new Date();
  let read: LabelInputs | null = null;
  const labels = await applyIssueLabels(deps.prisma, writer, issue, config, seen, now, async () => {
    read = await readLabelInputs(deps.prisma, issue.repository.id, issue.number);
    return read;
  });
  // Not under the markings job's lease: a change of its links made while these writes were under way is applied
  // after them.
  const inputs = read as LabelInputs | null;
  if (inputs !== null && labels.added.length + labels.removed.length > 0)
    await markLabelsWantedSince(deps.prisma, inputs.issueId, inputs.markedAt, new Date());
  return { ...labels, project: await applyProjectField(deps.prisma, writer, issue, config, now) };
}

/**
 * applyLabelsWithApp for several issues of one installation (the markings job's claim): each issue's labels, one after
 * another, then their project fields together, so the sets that can share a GraphQL document do (docs/projects.md,
 * Batching). `beforeIssue` is waited for before each issue's labels (the markings job holds back while webhooks arrive).
 * Returns, per issue in order, null when done or the error that failed it, for the caller's retry.
 */
export async function applyIssuesWithApp(
  deps: InstallationLabelDeps,
  installationId: bigint,
  issues: readonly { issue: IssueRef; seen?: PayloadLabels }[],
  beforeIssue: () => Promise<void> = async () => {},
): Promise<unknown[]> {
  const octokit = await deps.github(Number(installationId));
  const writer = { octokit, log: deps.log, dryRun: deps.dryRun ?? false, memory: deps.memory };
  const now = deps.now?.() ?? new Date();
  const failures: unknown[] = [];
  const labelled: { issue: IssueRef; config: Awaited<ReturnType<RepoConfigCache["get"]>>; index: number }[] = [];
  const ahead = new LabelInputsAhead(
    deps.prisma,
    issues.map((item) => item.issue),
  );
  for (const [index, { issue, seen }] of issues.entries()) {
    await beforeIssue();
    try {
      const config = await deps.configs.get(
        issue.repository,
        installationConfigReader(octokit, issue.repository.owner, issue.repository.name),
      );
      const outcome = await applyIssueLabels(deps.prisma, writer, issue, config, seen, now, () => ahead.take(issue));
      if (outcome.skipped === "denied") ahead.forget();
      labelled.push({ issue, config, index });
      failures[index] = null;
    } catch (error) {
      failures[index] = error;
    }
  }
  const outcomes = await applyProjectFields(deps.prisma, writer, labelled, now);
  for (const [i, outcome] of outcomes.entries()) if ("error" in outcome) failures[labelled[i]!.index] = outcome.error;
  return failures;
}

/**
 * How long the label inputs read ahead for a claim stay usable: the markings' coalescing window, a change that recent
 * being one the labels lag by anyway. A change to an issue's links marks it again, so the job runs again after it.
 */
const INPUTS_FRESH_MS = 1_000;

/**
 * The label inputs of a claim's issues, read in one statement at the first issue's turn rather than one statement an
 * issue (P8, #25: each is a round trip). After an issue whose labels were refused (its repository's label error set),
 * the issues still to come are read again, together. An issue reached later than INPUTS_FRESH_MS after the read is
 * read alone, as every issue was before: GitHub paces an installation's label writes at about one a second, so in a
 * claim whose labels change the read goes stale after an issue or two, and reading all the issues still to come again
 * at each turn would read the claim's rows a number of times that grows with the square of its size. An issue that
 * clears the error leaves the read standing: the claim's issues share one `now`, so the error was past its pause for
 * the later ones too, which try their writes as if they had read it cleared.
 */
class LabelInputsAhead {
  readonly #pending: Map<string, { repositoryId: bigint; number: number }>;
  #read: Map<string, LabelInputs | null> | undefined;
  #readAt = 0;

  constructor(
    private readonly prisma: Prisma,
    issues: readonly IssueRef[],
  ) {
    this.#pending = new Map(
      issues.map((issue) => [
        labelInputsKey(issue.repository.id, issue.number),
        { repositoryId: issue.repository.id, number: issue.number },
      ]),
    );
  }

  /** The issue's inputs (null: closeloop has no row for it). */
  async take(issue: IssueRef): Promise<LabelInputs | null> {
    const key = labelInputsKey(issue.repository.id, issue.number);
    this.#pending.delete(key);
    const read = this.#read;
    if (read !== undefined && read.has(key) && Date.now() - this.#readAt <= INPUTS_FRESH_MS) return read.get(key)!;
    // Not read yet (the claim's first turn), or forgotten: this issue with the issues still to come; stale: it alone.
    const own = { repositoryId: issue.repository.id, number: issue.number };
    const wanted = read === undefined ? new Map(this.#pending).set(key, own) : new Map([[key, own]]);
    const readAt = Date.now();
    const found = await readLabelInputsOf(this.prisma, [...wanted.values()]);
    if (read === undefined) {
      this.#read = new Map([...wanted.keys()].map((wantedKey) => [wantedKey, found.get(wantedKey) ?? null]));
      this.#readAt = readAt;
    }
    return found.get(key) ?? null;
  }

  /** What was read is not used again: the repository's label error changed. */
  forget(): void {
    this.#read = undefined;
  }
}
