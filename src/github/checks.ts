import type { ProbotOctokit } from "probot";
import { githubStatus } from "./errors.js";

/** A finished check run on a commit (https://docs.github.com/en/rest/checks/runs#create-a-check-run). */
export interface CompletedCheck {
  name: string;
  sha: string;
  conclusion: "success" | "failure" | "neutral";
  output: { title: string; summary: string };
}

/**
 * Creates the check run, completed; `refused` when GitHub answers 403 (the installation has not accepted
 * "Checks: write"), for the caller to say so. Any other failure is thrown for the delivery's retry.
 */
export async function createCompletedCheck(
  octokit: ProbotOctokit,
  repository: { owner: string; repo: string },
  check: CompletedCheck,
): Promise<"created" | "refused"> {
  try {
    await octokit.rest.checks.create({
      ...repository,
      name: check.name,
      head_sha: check.sha,
      status: "completed",
      conclusion: check.conclusion,
      output: check.output,
    });
    return "created";
  } catch (error) {
    if (githubStatus(error) !== 403) throw error;
    return "refused";
  }
}
