import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { ProviderId, RecognisedLink } from "../../src/domain/link.js";
import type { IssueRef } from "../../src/domain/refs.js";
import type { ClosedTickets } from "../../src/domain/follow-up.js";
import type { SummaryDetails } from "../../src/domain/reopen-summary.js";
import type { HelpdeskLane } from "../../src/jobs/helpdesk-lanes.js";
import type { RateBudget } from "../../src/providers/provider.js";
import { providers } from "../../src/providers/registry.js";
import type { Engine } from "../../src/config/database-url.js";
import { openDatabase, type Database, type DatabaseHandle, type Prisma } from "../../src/store/database.js";
import { HelpdeskWorker, type HelpdeskWorkerOptions } from "../../src/jobs/helpdesk-worker.js";
import { freshDatabaseUrl } from "./databases.js";
import { testProbot } from "./github.js";
import { readClaimedEnrichJobs, type ClaimedEnrichJob } from "../../src/store/enrich-jobs.js";
import { ENRICH_JOBS, ofProvider } from "../../src/store/helpdesk-jobs.js";
import { claimLeases } from "../../src/store/lease.js";
import { recordIssueClose } from "../../src/store/issues.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";
import { conformanceCases } from "../providers/conformance-cases.js";
import { waitFor } from "./wait.js";

/** Reopen tests' shared setup: every fake helpdesk, lanes pointed at them, and closes with their jobs. */

export const REPOSITORY = { id: 186853002n, installationId: 77n, owner: "Codertocat", name: "Hello-World" };

/**
 * A fake of every helpdesk in the registry for the tests of a describe block: started once, calmed (no faults, no
 * recorded requests, no remembered rate limits) before each test, closed after the last.
 */
export function useFakeHelpdesks(): Map<ProviderId, FakeHelpdeskServer> {
  const fakes = new Map<ProviderId, FakeHelpdeskServer>();
  beforeAll(async () => {
    for (const [provider, scenario] of conformanceCases) fakes.set(provider, await scenario.start());
  });
  afterAll(async () => {
    await Promise.all([...fakes.values()].map((server) => server.close()));
  });
  beforeEach(() => {
    for (const server of fakes.values()) {
      server.http.calm();
      server.http.requests.length = 0;
    }
  });
  return fakes;
}

/** A conversation id each fake accepts, and the URL a person would have pasted. */
export function conversation(provider: ProviderId, n: number): RecognisedLink {
  return conformanceCases.get(provider)!.conversation(n);
}

export interface LaneOptions {
  timeoutMs?: number;
  budgets?: Partial<Record<ProviderId, RateBudget>>;
  /** a write budget for a provider that has one (Zendesk's ticket updates); none unless given */
  writeBudgets?: Partial<Record<ProviderId, RateBudget>>;
}

/** Lanes for the given fakes, as the server builds them from the environment, with test timeouts and budgets. */
export function lanesFor(fakes: readonly FakeHelpdeskServer[], options: LaneOptions = {}): HelpdeskLane[] {
  return fakes.map((fake) => {
    const definition = providers.get(fake.provider)!;
    const settings = definition.configure(fake.env()) as { timeoutMs: number };
    const tuned = options.timeoutMs === undefined ? settings : { ...settings, timeoutMs: options.timeoutMs };
    return {
      provider: fake.provider,
      name: definition.name,
      client: definition.createClient(tuned),
      budget: options.budgets?.[fake.provider] ?? { requests: 1000, intervalMs: 1000 },
      writeBudget: options.writeBudgets?.[fake.provider],
      writeCost: definition.writeCost,
    };
  });
}

/** Issue `number` of REPOSITORY; `private` states the repository's visibility, as a payload would (absent: not stated). */
export function issueRef(number: number, visibility: { private?: boolean } = {}): IssueRef {
  return { repository: { ...REPOSITORY, ...visibility }, number, githubId: BigInt(900_000 + number), state: "open" };
}

/** Links on issue `number` (in one comment), then its close with a reason in reopen.on: the jobs are enqueued. */
export async function closeWithLinks(
  database: DatabaseHandle,
  number: number,
  links: readonly RecognisedLink[],
  options: {
    summary?: boolean;
    details?: SummaryDetails;
    closedTickets?: ClosedTickets;
    private?: boolean;
    note?: string;
    closedAt?: Date;
  } = {},
): Promise<number> {
  const issue = issueRef(number, options.private === undefined ? {} : { private: options.private });
  for (let start = 0; start < links.length; start += 50) {
    await applySourceChange(database, {
      issue,
      source: { kind: "comment", key: String(number * 1000 + start) },
      event: { action: "created", version: new Date("2026-11-20T10:00:00Z") },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links: links.slice(start, start + 50),
    });
  }
  const outcome = await recordIssueClose(database, issue, {
    closedAt: options.closedAt ?? new Date("2026-11-21T12:00:00Z"),
    stateReason: "completed",
    closedBy: "octocat",
    reopen: true,
    note:
      options.note ??
      `The GitHub issue https://github.com/Codertocat/Hello-World/issues/${number} linked to this conversation was closed (completed).`,
    summary: options.summary ?? false,
    details: options.details ?? "private",
    closedTickets: options.closedTickets ?? "follow_up",
  });
  if (outcome.kind !== "closed" || outcome.jobs === 0)
    throw new Error(`expected jobs to be enqueued, got ${JSON.stringify(outcome)}`);
  return outcome.closeId;
}

/** Resolves when no job is pending or running (every job done or dead). */
export function allSettled(prisma: Prisma, timeoutMs = 20_000): Promise<true> {
  return waitFor(
    async () => (await prisma.reopenJob.count({ where: { state: { in: ["pending", "running"] } } })) === 0,
    timeoutMs,
    "every job to settle",
  );
}

/** Claims a provider's due enrichment jobs for `owner`, as the worker does, with what running them needs. */
export async function claimEnrichJobs(
  prisma: Prisma,
  engine: Engine,
  claim: { provider: string; limit: number; leaseMs: number; owner: string },
): Promise<ClaimedEnrichJob[]> {
  const claimed = await claimLeases<{ key: number }>(prisma, engine, ENRICH_JOBS, {
    ...claim,
    where: ofProvider(claim.provider),
  });
  return readClaimedEnrichJobs(
    prisma,
    claimed.map((row) => row.key),
    claim.owner,
  );
}

/** A worker test's database, log and workers: a fresh migrated database per test, workers stopped after it. */
export interface WorkerBench {
  readonly database: Database;
  /** the messages the workers logged in this test */
  readonly logs: string[];
  /** a HelpdeskWorker over the fakes of `providers`, started */
  start(providers: readonly ProviderId[], options?: HelpdeskWorkerOptions & LaneOptions): HelpdeskWorker;
}

/** Sets up a WorkerBench for each test of a describe block on `engine`, against `fakes`, with `defaults` for every worker. */
export function useWorkerBench(
  engine: Engine,
  fakes: Map<ProviderId, FakeHelpdeskServer>,
  defaults: HelpdeskWorkerOptions & LaneOptions = {},
): WorkerBench {
  const workers: HelpdeskWorker[] = [];
  const bench = { database: undefined as unknown as Database, logs: [] as string[], start };
  beforeEach(async () => {
    bench.database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    bench.logs = [];
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await bench.database.close();
  });
  function start(providers: readonly ProviderId[], options: HelpdeskWorkerOptions & LaneOptions = {}): HelpdeskWorker {
    const settings = { ...defaults, ...options };
    const log = pino(
      { level: "info" },
      { write: (line: string) => void bench.logs.push((JSON.parse(line) as { msg: string }).msg) },
    );
    const probot = testProbot();
    const lanes = lanesFor(
      providers.map((provider) => fakes.get(provider)!),
      settings,
    );
    const worker = new HelpdeskWorker(
      bench.database.prisma,
      bench.database.engine,
      lanes,
      (id) => probot.auth(id),
      log,
      settings,
    );
    workers.push(worker);
    worker.start();
    return worker;
  }
  return bench;
}
