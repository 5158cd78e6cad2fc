import nock from "nock";
import { describe, expect, it } from "vitest";
import { InstallationBudgets } from "../../src/github/installation-budgets.js";
import { GITHUB_API, testProbot } from "../support/github.js";

/** A whole second a minute from now: GitHub's reset, in epoch seconds. */
const RESET = (Math.ceil(Date.now() / 1000) + 60) * 1000;
/** GitHub's headers for a window of 10 calls (the webhooks' reserve is 1) with `remaining` left. */
const budget = (remaining: number) => ({
  "x-ratelimit-limit": "10",
  "x-ratelimit-remaining": String(remaining),
  "x-ratelimit-reset": String(RESET / 1000),
  "x-ratelimit-resource": "core",
});

describe("InstallationBudgets", () => {
  const probot = testProbot();

  it("keeps each installation's budget apart: one down to the reserve waits, another goes at once", async () => {
    const budgets = new InstallationBudgets();
    const octokit = await probot.auth(77);
    budgets.observe(77, octokit);
    nock(GITHUB_API).get("/repos/octo-org/app/issues").reply(200, [], budget(2));
    await octokit.request("GET /repos/{owner}/{repo}/issues", { owner: "octo-org", repo: "app" });
    // 2 left of 10: one more call leaves the webhooks' 1.
    expect(budgets.backfillCallAt(77)).toBeLessThanOrEqual(Date.now());
    nock(GITHUB_API).get("/repos/octo-org/app/contents/README.md").reply(404, { message: "Not Found" }, budget(1));
    await expect(
      octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        owner: "octo-org",
        repo: "app",
        path: "README.md",
      }),
    ).rejects.toMatchObject({ status: 404 });
    expect(budgets.backfillCallAt(77)).toBe(RESET + 250);
    expect(budgets.backfillCallAt(78)).toBeLessThanOrEqual(Date.now());
  });

  it("counts a call before its answer, and hears a refusal for the rate limit", async () => {
    const budgets = new InstallationBudgets();
    const octokit = await probot.auth(77);
    budgets.observe(77, octokit);
    nock(GITHUB_API).get("/repos/octo-org/app/issues").reply(200, [], budget(3));
    await octokit.request("GET /repos/{owner}/{repo}/issues", { owner: "octo-org", repo: "app" });
    expect(budgets.backfillCallAt(77)).toBeLessThanOrEqual(Date.now());
    // Another process spent the rest: GitHub refuses, and says so.
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues")
      .reply(403, { message: "API rate limit exceeded for installation ID 77." }, budget(0));
    await expect(
      octokit.request("GET /repos/{owner}/{repo}/issues", { owner: "octo-org", repo: "app" }),
    ).rejects.toMatchObject({ status: 403 });
    expect(budgets.backfillCallAt(77)).toBe(RESET + 250);
  });
});
