import type { ProbotOctokit } from "probot";
import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import { githubErrorCodes, githubMessage, githubStatus } from "./errors.js";

/**
 * The label calls behind an issue's frequency and team labels (docs/labels.md, Applying). Each returns GitHub's own
 * time of the change (the response's Date header, one-second resolution), so it compares with payload timestamps.
 */

/** Adds the labels in one call (https://docs.github.com/en/rest/issues/labels#add-labels-to-an-issue). */
export async function addIssueLabels(
  octokit: ProbotOctokit,
  issue: IssueRef,
  names: string[],
  now: Date,
): Promise<Date> {
  const { owner, name: repo } = issue.repository;
  const response = await octokit.rest.issues.addLabels({ owner, repo, issue_number: issue.number, labels: names });
  return githubTime(response.headers, now);
}

/** Removes one label; a 404 (the label is not on the issue, any more) is what was wanted, at `now`. */
export async function removeIssueLabel(
  octokit: ProbotOctokit,
  issue: IssueRef,
  name: string,
  now: Date,
): Promise<Date> {
  const { owner, name: repo } = issue.repository;
  try {
    return githubTime(
      (await octokit.rest.issues.removeLabel({ owner, repo, issue_number: issue.number, name })).headers,
      now,
    );
  } catch (error) {
    if (githubStatus(error) !== 404) throw error;
    return now;
  }
}

/**
 * Creates a label with its colour: `exists` when it does now (created, or there already: GitHub's 422
 * `already_exists`), or GitHub's reason when it rejects the name (another 422).
 */
export async function createRepositoryLabel(
  octokit: ProbotOctokit,
  repository: RepositoryRef,
  label: { name: string; color: string; description: string },
): Promise<{ exists: true } | { exists: false; rejected: string }> {
  try {
    await octokit.rest.issues.createLabel({ owner: repository.owner, repo: repository.name, ...label });
  } catch (error) {
    if (githubStatus(error) !== 422) throw error;
    if (!githubErrorCodes(error).includes("already_exists")) return { exists: false, rejected: githubMessage(error) };
  }
  return { exists: true };
}

function githubTime(headers: Record<string, unknown>, fallback: Date): Date {
  const date = typeof headers.date === "string" ? new Date(headers.date) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : fallback;
}
