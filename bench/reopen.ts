import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import pino from "pino";
import type { ProviderId } from "../src/domain/link.js";
import { ReopenWorker } from "../src/jobs/reopen-worker.js";
import type { RateBudget } from "../src/providers/provider.js";
import { providers } from "../src/providers/registry.js";
import { openDatabase } from "../src/store/database.js";
import { parseDatabaseUrl } from "../src/store/database-url.js";
import { migrate, readMigrationFiles } from "../src/store/migrations.js";
import type { FakeHelpdeskServer } from "../test/fakes/fake-helpdesk.js";
import { startFakeIntercom } from "../test/providers/intercom/fake-server.js";
import { startFakeZendesk } from "../test/providers/zendesk/fake-server.js";
import { closeWithLinks, conversation } from "../test/support/reopen.js";

export interface ReopenFigures {
  provider: string;
  /** the limit the fake enforces, and the worker's budget */
  limit: RateBudget;
  /** what the limit stands for */
  scaled: string;
  jobs: number;
  calls: number;
  rateLimited: number;
  seconds: number;
  /** calls per second between the first and the last call, the first window's burst left out */
  callsPerSecond: number;
  limitPerSecond: number;
}

/** Real limits scaled to 600 calls a minute, so a run takes seconds; the windows keep their shape where they can. */
export const P3_CASES: { provider: ProviderId; start: () => Promise<FakeHelpdeskServer>; limit: RateBudget; scaled: string }[] = [
  { provider: "intercom", start: startFakeIntercom, limit: { requests: 100, intervalMs: 10_000 }, scaled: "Intercom 1,666 per 10 s window, scaled to 100 per 10 s" },
  { provider: "zendesk", start: startFakeZendesk, limit: { requests: 100, intervalMs: 10_000 }, scaled: "Zendesk 100 ticket updates per minute, scaled to 100 per 10 s" },
];

/**
 * P3: reopen throughput against a fake helpdesk that enforces a known rate limit (a token bucket that answers 429 with
 * the provider's own headers beyond it), the worker's budget set to that limit, over loopback HTTP. In process, on
 * SQLite; every job is a note and a reopen: two calls, or one where the helpdesk takes both together (Zendesk).
 */
export async function benchReopen(testCase: (typeof P3_CASES)[number], seconds: number): Promise<ReopenFigures> {
  const fake = await testCase.start();
  const target = parseDatabaseUrl(`file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-p3-")), "closeloop.db")}`);
  // The bench is compiled to build-bench/: the committed migrations are at the repository's root.
  await migrate(target, readMigrationFiles("sqlite", fileURLToPath(new URL("../../prisma/", import.meta.url))));
  const database = await openDatabase(target);
  const limitPerSecond = (testCase.limit.requests * 1000) / testCase.limit.intervalMs;
  const definition = providers.get(testCase.provider)!;
  const client = definition.createClient(definition.configure(fake.env()));
  const jobs = Math.round((limitPerSecond * seconds) / (client.addNoteAndReopen === undefined ? 2 : 1));
  try {
    const links = Array.from({ length: jobs }, (_, i) => conversation(testCase.provider, i + 1));
    for (const link of links) fake.seed({ id: link.conversationId, open: false });
    await closeWithLinks(database.prisma, 1, links, { summary: false });

    const stamps: number[] = [];
    const requests = fake.http.requests;
    const push = requests.push.bind(requests);
    requests.push = (...items) => {
      for (const _ of items) stamps.push(performance.now());
      return push(...items);
    };
    fake.http.enforceRateLimit({ requests: testCase.limit.requests, windowMs: testCase.limit.intervalMs });

    const lane = { provider: testCase.provider, name: definition.name, client, budget: testCase.limit };
    const worker = new ReopenWorker(database.prisma, database.engine, [lane], () => Promise.reject(new Error("no GitHub in P3")), pino({ level: "silent" }));
    const started = performance.now();
    worker.start();
    while ((await database.prisma.reopenJob.count({ where: { state: { in: ["pending", "running"] } } })) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const elapsed = (performance.now() - started) / 1000;
    await worker.stop();

    const dead = await database.prisma.reopenJob.count({ where: { state: "dead" } });
    if (dead > 0) throw new Error(`P3 ${testCase.provider}: ${dead} jobs dead`);
    // The queue may start a slice's worth of calls at once; between the first and the last call the rate is the pacing.
    const firstSlice = Math.max(1, Math.floor(testCase.limit.requests / 10));
    const span = (stamps.at(-1)! - stamps[0]!) / 1000;
    return {
      provider: definition.name,
      limit: testCase.limit,
      scaled: testCase.scaled,
      jobs,
      calls: stamps.length,
      rateLimited: fake.http.rateLimitedCount,
      seconds: elapsed,
      callsPerSecond: (stamps.length - firstSlice) / span,
      limitPerSecond,
    };
  } finally {
    await database.close();
    await fake.close();
  }
}

/** Runs P3 for every case and prints its figures and ratios (called by bench/run.ts). */
export async function runP3(seconds: number): Promise<void> {
  const figures: ReopenFigures[] = [];
  for (const testCase of P3_CASES) figures.push(await benchReopen(testCase, seconds));
  console.log(`\nP3 reopen throughput: ${seconds} s of budget per helpdesk (a note and a reopen per job), in process on SQLite, against a fake enforcing the limit over HTTP`);
  console.log("helpdesk     limit           jobs  calls  calls/s  ratio   429s");
  for (const f of figures) {
    const ratio = f.callsPerSecond / f.limitPerSecond;
    const share = f.rateLimited / f.calls;
    console.log(
      `${f.provider.padEnd(12)} ${`${f.limit.requests}/${f.limit.intervalMs / 1000}s`.padEnd(14)} ${String(f.jobs).padStart(5)} ${String(f.calls).padStart(6)} ${f.callsPerSecond.toFixed(2).padStart(8)} ${ratio.toFixed(3).padStart(6)} ${`${(share * 100).toFixed(2)}%`.padStart(6)}`,
    );
    console.log(`${f.provider.padEnd(12)} (${f.scaled}) ratio ${ratio.toFixed(3)}× of the limit (target ≥ 0.95) ${ratio >= 0.95 ? "MET" : "MISSED"}; 429s ${(share * 100).toFixed(2)}% (target < 1%) ${share < 0.01 ? "MET" : "MISSED"}`);
  }
}
