import { FakeGitHub } from "../test/fakes/github-server.js";
import { GeneratedInstallation, type GeneratedInstallationOptions } from "../test/fakes/github-installation.js";

// The backfill section's fake GitHub in a process of its own (bench/backfill.ts forks it): the pages it generates
// take CPU that a real GitHub spends on its own machines, so it must not share the event loop of the process that
// drives P1's load, and its CPU is measured apart from the server's. Started with the installation's options and the
// rate limit as JSON; it sends its host, then answers each "calls" message with the calls it has served so far.

/** What the parent asks for: the installation, and the primary rate limit (calls a window) */
export interface FakeGithubChildOptions {
  /** the installation, with its `now` as an ISO date: the parent generates the same one to count what it holds */
  installation: Omit<GeneratedInstallationOptions, "now"> & { now: string };
  rateLimit: { limit: number; windowMs: number };
}

/** The calls of the installation's repositories served so far, by kind */
export interface ServedCalls {
  issuePages: number;
  commentPages: number;
  perIssue: number;
  config: number;
  other: number;
  /** answered 403 for the rate limit (and retried by the app) */
  rateLimited: number;
}

export type FakeGithubChildMessage = { host: string } | { calls: ServedCalls };

const options = JSON.parse(process.argv[2]!) as FakeGithubChildOptions;
const installation = new GeneratedInstallation({ ...options.installation, now: new Date(options.installation.now) });
const github = new FakeGitHub();
github.installation = installation;
github.rateLimit = options.rateLimit;
const host = await github.start();
const send = (message: FakeGithubChildMessage) => process.send!(message);
send({ host });
process.on("message", () => send({ calls: countCalls(github) }));
process.on("disconnect", () => void github.stop().then(() => process.exit(0)));

/** The fake's requests of the installation's repositories, by kind. */
function countCalls(fake: FakeGitHub): ServedCalls {
  const counts = { issuePages: 0, commentPages: 0, perIssue: 0, config: 0, other: 0, rateLimited: fake.rateLimited };
  const prefix = `/repos/${installation.owner}/`;
  for (const request of fake.requests) {
    const { pathname } = new URL(request.path, "http://github");
    if (!pathname.startsWith(prefix)) continue;
    const rest = pathname.slice(prefix.length);
    if (/^[^/]+\/issues$/.test(rest)) counts.issuePages++;
    else if (/^[^/]+\/issues\/comments$/.test(rest)) counts.commentPages++;
    else if (/^[^/]+\/issues\/\d+/.test(rest)) counts.perIssue++;
    else if (/\/contents\//.test(rest)) counts.config++;
    else counts.other++;
  }
  return counts;
}
