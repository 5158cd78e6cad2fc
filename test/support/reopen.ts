import { afterAll, beforeAll, beforeEach } from "vitest";
import { PROVIDERS, type ProviderId, type RecognisedLink } from "../../src/domain/link.js";
import { clearRateLimitStates } from "../../src/providers/helpdesk-http.js";
import type { ReopenLane } from "../../src/jobs/reopen-lanes.js";
import type { RateBudget } from "../../src/providers/provider.js";
import { providers } from "../../src/providers/registry.js";
import type { Prisma } from "../../src/store/database.js";
import { recordIssueClose } from "../../src/store/issues.js";
import { applySourceChange } from "../../src/store/links.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";
import { waitFor } from "./wait.js";
import { startFakeFreshdesk } from "../fakes/freshdesk-server.js";
import { startFakeFront } from "../fakes/front-server.js";
import { startFakeHelpScout } from "../fakes/helpscout-server.js";
import { startFakeIntercom } from "../fakes/intercom-server.js";
import { startFakeZendesk } from "../fakes/zendesk-server.js";
import type { IssueRef } from "../../src/domain/refs.js";

/** Reopen tests' shared setup: the five fake helpdesks, lanes pointed at them, and closes with their jobs. */

export const REPOSITORY = { id: 186853002n, installationId: 77n, owner: "Codertocat", name: "Hello-World" };

export const FAKE_STARTERS: Record<ProviderId, () => Promise<FakeHelpdeskServer>> = {
  intercom: startFakeIntercom,
  front: startFakeFront,
  zendesk: startFakeZendesk,
  helpscout: startFakeHelpScout,
  freshdesk: startFakeFreshdesk,
};

/**
 * The five fake helpdesks for the tests of a describe block: started once, calmed (no faults, no recorded requests,
 * no remembered rate limits) before each test, closed after the last.
 */
export function useFakeHelpdesks(): Map<ProviderId, FakeHelpdeskServer> {
  const fakes = new Map<ProviderId, FakeHelpdeskServer>();
  beforeAll(async () => {
    for (const provider of PROVIDERS) fakes.set(provider, await FAKE_STARTERS[provider]());
  });
  afterAll(async () => {
    await Promise.all([...fakes.values()].map((server) => server.close()));
  });
  beforeEach(() => {
    clearRateLimitStates();
    for (const server of fakes.values()) {
      server.http.calm();
      server.http.requests.length = 0;
    }
  });
  return fakes;
}

/** A conversation id each fake accepts, and the URL a person would have pasted. */
export function conversation(provider: ProviderId, n: number): RecognisedLink {
  switch (provider) {
    case "intercom":
      return { provider, account: "abc123", conversationId: String(215_000 + n), url: `https://app.intercom.com/a/inbox/abc123/inbox/conversation/${215_000 + n}` };
    case "front":
      return { provider, account: "", conversationId: `cnv_${(0x55c8c000 + n).toString(16)}`, url: `https://app.frontapp.com/open/cnv_${(0x55c8c000 + n).toString(16)}` };
    case "zendesk":
      return { provider, account: "acme", conversationId: String(4000 + n), url: `https://acme.zendesk.com/agent/tickets/${4000 + n}` };
    case "helpscout":
      return { provider, account: "", conversationId: String(2_391_938_000 + n), url: `https://secure.helpscout.net/conversation/${2_391_938_000 + n}/${n}/` };
    case "freshdesk":
      return { provider, account: "acme", conversationId: String(1200 + n), url: `https://acme.freshdesk.com/a/tickets/${1200 + n}` };
  }
}

export interface LaneOptions {
  timeoutMs?: number;
  budgets?: Partial<Record<ProviderId, RateBudget>>;
}

/** Lanes for the given fakes, as the server builds them from the environment, with test timeouts and budgets. */
export function lanesFor(fakes: readonly FakeHelpdeskServer[], options: LaneOptions = {}): ReopenLane[] {
  return fakes.map((fake) => {
    const definition = providers.get(fake.provider)!;
    const settings = definition.configure(fake.env()) as { timeoutMs: number };
    const tuned = options.timeoutMs === undefined ? settings : { ...settings, timeoutMs: options.timeoutMs };
    return {
      provider: fake.provider,
      name: definition.name,
      client: definition.createClient(tuned),
      budget: options.budgets?.[fake.provider] ?? { requests: 1000, intervalMs: 1000 },
    };
  });
}

export function issueRef(number: number): IssueRef {
  return { repository: REPOSITORY, number, githubId: BigInt(900_000 + number), state: "open" };
}

/** Links on issue `number` (in one comment), then its close with a reason in reopen.on: the jobs are enqueued. */
export async function closeWithLinks(
  prisma: Prisma,
  number: number,
  links: readonly RecognisedLink[],
  options: { summary?: boolean; note?: string; closedAt?: Date } = {},
): Promise<number> {
  const issue = issueRef(number);
  for (let start = 0; start < links.length; start += 50) {
    await applySourceChange(prisma, {
      issue,
      source: { kind: "comment", key: String(number * 1000 + start) },
      event: { action: "created", version: new Date("2026-11-20T10:00:00Z") },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links: links.slice(start, start + 50),
    });
  }
  const outcome = await recordIssueClose(prisma, issue, {
    closedAt: options.closedAt ?? new Date("2026-11-21T12:00:00Z"),
    stateReason: "completed",
    closedBy: "octocat",
    reopen: true,
    note: options.note ?? `The GitHub issue https://github.com/Codertocat/Hello-World/issues/${number} linked to this conversation was closed (completed).`,
    summary: options.summary ?? false,
  });
  if (outcome.kind !== "closed" || outcome.jobs === 0) throw new Error(`expected jobs to be enqueued, got ${JSON.stringify(outcome)}`);
  return outcome.closeId;
}

/** Resolves when no job is pending or running (every job done or dead). */
export function allSettled(prisma: Prisma, timeoutMs = 20_000): Promise<true> {
  return waitFor(async () => (await prisma.reopenJob.count({ where: { state: { in: ["pending", "running"] } } })) === 0, timeoutMs, "every job to settle");
}
