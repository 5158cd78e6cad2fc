import { expect, it } from "vitest";
import { Probot } from "probot";
import { FakeGitHub } from "./github-server.js";
import { TEST_PRIVATE_KEY } from "../support/process.js";

it("fake GitHub marks comments posted with the app's installation token as the app's", async () => {
  const github = new FakeGitHub();
  const host = await github.start();
  const probot = new Probot({ appId: 4242, privateKey: TEST_PRIVATE_KEY, baseUrl: `http://${host}/api/v3` });
  const octokit = await probot.auth(77);
  await octokit.rest.issues.createComment({ owner: "o", repo: "r", issue_number: 1, body: "x" });
  const { data } = await octokit.rest.issues.listComments({ owner: "o", repo: "r", issue_number: 1 });
  expect(data.map((c) => c.performed_via_github_app)).toEqual([{ id: 4242 }]);
  await github.stop();
});
