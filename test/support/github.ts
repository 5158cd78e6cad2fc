import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import pino from "pino";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import type { EmitterWebhookEvent } from "@octokit/webhooks";
import { inboxPayload } from "../../src/store/deliveries.js";

export const GITHUB_API = "https://api.github.com";

/** A real payload from @octokit/webhooks-examples, deep-copied so a test can adjust it. */
export function webhookExample<T = Record<string, any>>(event: string, action: string | undefined, index = 0): T {
  const family = (examples as { name: string; examples: Record<string, unknown>[] }[]).find(
    (entry) => entry.name === event,
  );
  const found = family?.examples.filter((example) => action === undefined || example.action === action)[index];
  if (!found) throw new Error(`no @octokit/webhooks-examples payload for ${event}.${action} #${index}`);
  return structuredClone(found) as T;
}

/** A Probot for tests: token auth (no installation token dance), no retries or throttling, silent logs. */
export function testProbot(log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" })): Probot {
  return new Probot({ appId: 1, githubToken: "test-token", log, Octokit: TestOctokit });
}

/**
 * Probot sets its own throttle options on every Octokit it makes, which would turn throttling back on (and space
 * writes a second apart); a function default runs after Probot's and keeps retries and throttling off.
 */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

/** Runs the handlers on a delivery as the inbox worker does: on the payload as the inbox stores it. */
export async function receive(
  probot: Probot,
  name: string,
  payload: unknown,
  id: string = crypto.randomUUID(),
): Promise<void> {
  await probot.receive({ id, name, payload: JSON.parse(inboxPayload(payload)) } as EmitterWebhookEvent);
}

/** `context.config("closeloop.yml")`: the repository's file, else the owner's `.github` repository's. */
export function nockConfig(owner: string, repo: string, yaml: string | null, orgYaml: string | null = null): void {
  const scope = nock(GITHUB_API);
  const path = (r: string) => `/repos/${owner}/${r}/contents/${encodeURIComponent(".github/closeloop.yml")}`;
  if (yaml !== null) {
    scope.get(path(repo)).reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
    return;
  }
  scope.get(path(repo)).reply(404, { message: "Not Found" });
  if (orgYaml === null) scope.get(path(".github")).reply(404, { message: "Not Found" });
  else scope.get(path(".github")).reply(200, orgYaml, { "content-type": "text/plain; charset=utf-8" });
}

/** GitHub's answer to which installation of the app includes `owner/repo` (the app's JWT asks): none is a 404. */
export function nockRepositoryInstallation(owner: string, repo: string, installationId: number | null): void {
  const scope = nock(GITHUB_API).get(`/repos/${owner}/${repo}/installation`);
  if (installationId === null) scope.reply(404, { message: "Not Found" });
  else scope.reply(200, { id: installationId });
}
