import type { Logger, ProbotOctokit } from "probot";
import type { GithubMemory } from "./memory.js";

/** How an issue's labels and project field are written: the installation's Octokit, a logger, and whether this is a dry run. */
export interface GithubWriter {
  octokit: ProbotOctokit;
  log: Logger;
  /** CLOSELOOP_DRY_RUN: what would be written is logged, nothing is */
  dryRun: boolean;
  /** the app's memory of GitHub (known labels, project ids, writes in flight), shared by every writer of the app */
  memory: GithubMemory;
}
