import type { RepoConfig } from "../config/repo-config.js";
import { planLabels, type LabelToCreate } from "../domain/label-plan.js";
import type { Prisma } from "../store/database.js";
import {
  clearLabelError,
  readLabelInputs,
  recordIssueLabels,
  type LabelInputs,
  recordLabelError,
  type LabelWrite,
} from "../store/labels.js";
import { REFUSAL_PAUSE_MS } from "../config/queues.js";
import { sameTime, type Frequency } from "../domain/frequency.js";
import { githubMessage as message, githubRefused, githubStatus as status } from "../github/errors.js";
import type { GithubWriter } from "../github/writer.js";
import { addIssueLabels, createRepositoryLabel, removeIssueLabel } from "../github/labels.js";
import type { RepositoryLabels } from "../github/repository-labels.js";
import type { IssueRef } from "../domain/refs.js";

/** The issue's labels as a webhook payload showed them, true at the payload's `issue.updated_at`. */
export interface PayloadLabels {
  labels: string[];
  at: Date;
}

export interface LabelOutcome {
  frequency: Frequency | null;
  added: string[];
  removed: string[];
  /** why nothing was written: the issue has no row, writes to the repository are paused or were refused, the issue is gone */
  skipped?: "unknown-issue" | "paused" | "denied" | "not-found";
}

/**
 * Brings one issue's managed labels (docs/labels.md, Applying) to what its live links call for, with the fewest GitHub calls: none
 * when nothing changes; otherwise one call adding every missing label (GitHub's endpoint takes a list), one per
 * label removed, and, the first time a frequency label is used in a repository, one to create it with its colour.
 * Team labels have no colour in the config, so GitHub creates them on the add. Calls for one issue never overlap
 * within a process, though the markings job may hand in inputs read for its claim up to a second before (`read`).
 * Used by the markings job, the decay sweep and the backfill.
 */
export async function applyIssueLabels(
  prisma: Prisma,
  writer: GithubWriter,
  issue: IssueRef,
  config: RepoConfig,
  payload?: PayloadLabels,
  now: Date = new Date(),
  /** what the labels are computed from, read once this issue's turn has come (a caller may have read it ahead) */
  read: () => Promise<LabelInputs | null> = () => readLabelInputs(prisma, issue.repository.id, issue.number),
): Promise<LabelOutcome> {
  return writer.memory.serialised(`${issue.repository.id}#${issue.number}`, async () => {
    const inputs = await read();
    if (!inputs) return { frequency: null, added: [], removed: [], skipped: "unknown-issue" };
    const where = `${issue.repository.owner}/${issue.repository.name}#${issue.number}`;
    const known = writer.memory.labels;
    if (payload) known.learn(issue.repository.id, payload.labels);

    const plan = planLabels({
      ...inputs,
      payload,
      repositoryHas: (name) => known.has(issue.repository.id, name),
      config,
      now,
    });
    const { frequency } = plan;
    const writes: LabelWrite[] = [...plan.observed];
    let dueAt = plan.dueAt;
    const evaluation = () =>
      frequency === inputs.frequency && sameTime(dueAt, inputs.labelsDueAt) && inputs.staleAt === null
        ? undefined
        : { frequency, dueAt, staleRead: inputs.staleAt };
    // The labels are as they should be (or as a dry run says they would be): a stale mark read here is done with.
    const settled = inputs.staleAt;
    const outcome: LabelOutcome = { frequency, added: [], removed: [] };
    if (plan.add.length === 0 && plan.remove.length === 0) {
      await recordIssueLabels(prisma, inputs.issueId, writes, evaluation(), settled);
      return outcome;
    }

    if (inputs.labelError && now.getTime() - inputs.labelError.at.getTime() < REFUSAL_PAUSE_MS) {
      // The sweep comes back when the pause ends; until then no call is made to a repository that refuses them.
      const resume = new Date(inputs.labelError.at.getTime() + REFUSAL_PAUSE_MS);
      if (dueAt === null || dueAt > resume) dueAt = resume;
      writer.log.debug(
        `${where}: label writes to this repository are paused until ${resume.toISOString()} (${inputs.labelError.message})`,
      );
      await recordIssueLabels(prisma, inputs.issueId, writes, evaluation());
      return { ...outcome, skipped: "paused" };
    }

    if (writer.dryRun) {
      for (const name of plan.add) {
        const created = plan.create.find((label) => label.name === name);
        if (created)
          writer.log.info(
            `[dry-run] Would create label "${name}" (#${created.color}) in ${issue.repository.owner}/${issue.repository.name}`,
          );
        writer.log.info(`[dry-run] Would add label "${name}" to ${where}`);
      }
      for (const name of plan.remove) writer.log.info(`[dry-run] Would remove label "${name}" from ${where}`);
      await recordIssueLabels(prisma, inputs.issueId, writes, evaluation(), settled);
      return { ...outcome, added: plan.add, removed: plan.remove };
    }

    const { octokit } = writer;
    const repo = { owner: issue.repository.owner, repo: issue.repository.name };
    try {
      const adding = [];
      for (const name of plan.add) {
        const created = plan.create.find((label) => label.name === name);
        if (!created || (await createLabel(writer, known, issue, created))) adding.push(name);
      }
      if (adding.length > 0) {
        const at = await addIssueLabels(octokit, issue, adding, now);
        known.learn(issue.repository.id, adding);
        const frequencyLabels = new Set(
          [config.frequency.daily.label, config.frequency.weekly.label].map((label) => label.toLowerCase()),
        );
        for (const name of adding)
          writes.push({
            name,
            present: true,
            at,
            applied: true,
            kind: frequencyLabels.has(name.toLowerCase()) ? "frequency" : "team",
          });
        outcome.added = adding;
      }
      for (const name of plan.remove) {
        writes.push({ name, present: false, at: await removeIssueLabel(octokit, issue, name, now), applied: false });
        outcome.removed.push(name);
      }
    } catch (error) {
      await recordIssueLabels(prisma, inputs.issueId, writes);
      if (githubRefused(error)) {
        const reason = `GitHub answered ${status(error)}: ${message(error)}`;
        writer.log.error(
          { repository: `${repo.owner}/${repo.repo}`, status: status(error) },
          `${repo.owner}/${repo.repo}: closeloop cannot write labels (${reason}). Check that the installation has accepted the "Issues: write" permission and that the repository is not archived or blocked; label writes there pause for an hour, then one is tried again. \`closeloop status\` lists it.`,
        );
        await recordLabelError(prisma, issue.repository.id, reason, now);
        return { ...outcome, skipped: "denied" };
      }
      if (status(error) === 404 || status(error) === 410) {
        writer.log.warn(
          `${where}: the issue is gone or closeloop cannot see it (GitHub answered ${status(error)}); its labels are left alone`,
        );
        // Not tried again by the sweep: an event brings the issue back if it comes back.
        await recordIssueLabels(prisma, inputs.issueId, [], undefined, settled);
        return { ...outcome, skipped: "not-found" };
      }
      throw error;
    }
    await recordIssueLabels(prisma, inputs.issueId, writes, evaluation(), settled);
    if (inputs.labelError) await clearLabelError(prisma, issue.repository.id);
    if (outcome.added.length + outcome.removed.length > 0) {
      writer.log.info(
        { added: outcome.added, removed: outcome.removed },
        `${where}: labels ${describeChange(outcome)}`,
      );
    }
    return outcome;
  });
}

/**
 * Creates a frequency label with its configured colour. Returns whether the label can be added: true when it exists
 * now (created, or already there though closeloop had not seen it), false when GitHub rejects its name.
 */
async function createLabel(
  writer: GithubWriter,
  known: RepositoryLabels,
  issue: IssueRef,
  label: LabelToCreate,
): Promise<boolean> {
  const created = await createRepositoryLabel(writer.octokit, issue.repository, label);
  if (!created.exists) {
    writer.log.error(
      `${issue.repository.owner}/${issue.repository.name}: GitHub rejects the label "${label.name}" (${created.rejected}); change its name in .github/closeloop.yml`,
    );
    return false;
  }
  known.learn(issue.repository.id, [label.name]);
  return true;
}

function describeChange(outcome: LabelOutcome): string {
  return [...outcome.added.map((name) => `+"${name}"`), ...outcome.removed.map((name) => `-"${name}"`)].join(" ");
}
