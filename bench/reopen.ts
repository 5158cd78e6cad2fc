import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import type { ProviderId } from "../src/domain/link.js";
import type { HelpdeskLane } from "../src/jobs/helpdesk-lanes.js";
import { LocalPaces } from "../src/jobs/pace-keeper.js";
import { HelpdeskWorker } from "../src/jobs/helpdesk-worker.js";
import { providers } from "../src/providers/registry.js";
import { openDatabase, type Database } from "../src/store/database.js";
import { parseDatabaseUrl } from "../src/config/database-url.js";
import { migrate, readMigrationFiles } from "../src/store/migrations.js";
import type { EnforcedLimit, FakeHelpdeskServer } from "../test/fakes/fake-helpdesk.js";
import { conformanceCases } from "../test/providers/conformance-cases.js";
import { closeWithLinks, conversation } from "../test/support/reopen.js";
import { startPostgres } from "./processes.js";

// The bench is compiled to build-bench/: the committed migrations are at the repository's root.
const PRISMA_DIR = fileURLToPath(new URL("../../prisma/", import.meta.url));
const silent = pino({ level: "silent" });

export interface PacedFigures {
  provider: string;
  limit: EnforcedLimit;
  jobs: number;
  calls: number;
  rateLimited: number;
  /** units admitted over the fixed windows wholly between the first and the last admitted call, over their limit */
  share: number;
  windows: number;
  /** the share of the least used whole window */
  worst: number;
  seconds: number;
}

/**
 * The share of the limit used: units admitted in each fixed window wholly between the first and the last admitted
 * request, over the limit, averaged. Partial windows at the ends say when the run started and ended, not the pace.
 */
export function shareOfLimit(
  admitted: readonly { at: number; units: number }[],
  limit: EnforcedLimit,
): { share: number; windows: number; worst: number } {
  if (admitted.length < 2) return { share: 0, windows: 0, worst: 0 };
  const windowOf = (at: number) => Math.floor(at / limit.windowMs);
  const first = windowOf(admitted[0]!.at) + 1;
  const last = windowOf(admitted.at(-1)!.at) - 1;
  if (last < first) {
    // No whole window (a minute's, in a shorter run): the rate between the first and the last call, the first left out.
    const units = admitted.slice(1).reduce((sum, { units }) => sum + units, 0);
    const share = units / (((admitted.at(-1)!.at - admitted[0]!.at) * limit.requests) / limit.windowMs);
    return { share, windows: 0, worst: share };
  }
  const perWindow = new Map<number, number>();
  for (const { at, units } of admitted)
    if (windowOf(at) >= first && windowOf(at) <= last)
      perWindow.set(windowOf(at), (perWindow.get(windowOf(at)) ?? 0) + units);
  const windows = last - first + 1;
  const units = [...perWindow.values()].reduce((sum, used) => sum + used, 0);
  // A window nothing was admitted in is the worst of all.
  const worst = perWindow.size < windows ? 0 : Math.min(...perWindow.values()) / limit.requests;
  return { share: units / (limit.requests * windows), windows, worst };
}

/**
 * The limit a provider's fake enforces in a P3 case: a helpdesk whose headers carry no reset and name a minute keeps
 * the case's rate in minute windows (ConformanceCase.minuteLimits).
 */
function limitFor(provider: ProviderId, limit: EnforcedLimit): EnforcedLimit {
  if (!conformanceCases.get(provider)!.minuteLimits) return limit;
  return { ...limit, requests: (limit.requests * 60_000) / limit.windowMs, windowMs: 60_000 };
}

/** Units a job takes of a provider's budget: a note and a reopen, each a write. */
/** A job's budget units: a note and a reopen (one call where the helpdesk takes both, as Zendesk does), each a write. */
function unitsPerJob(fake: FakeHelpdeskServer): number {
  const definition = providers.get(fake.provider)!;
  const calls = definition.createClient(definition.configure(fake.env())).addNoteAndReopen === undefined ? 2 : 1;
  return calls * (definition.writeCost ?? 1);
}

/** A lane as the server builds it from the environment: the documented default budgets, not the fake's limit. */
function defaultLane(fake: FakeHelpdeskServer, writes: "documented" | "unbound" = "documented"): HelpdeskLane {
  const definition = providers.get(fake.provider)!;
  const settings = definition.configure(fake.env());
  return {
    provider: fake.provider,
    name: definition.name,
    client: definition.createClient(settings),
    budget: definition.rateBudget(settings),
    writeBudget: writes === "documented" ? definition.writeBudget?.(settings) : undefined,
    writeCost: definition.writeCost,
  };
}

async function sqliteDatabase(): Promise<Database> {
  const target = parseDatabaseUrl(`file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-p3-")), "closeloop.db")}`);
  await migrate(target, readMigrationFiles("sqlite", PRISMA_DIR));
  return openDatabase(target);
}

async function untilSettled(database: Database, what: "reopen" | "all"): Promise<void> {
  const busy = { state: { in: ["pending", "running"] } };
  for (;;) {
    const reopens = await database.prisma.reopenJob.count({ where: busy });
    const reads = what === "all" ? await database.prisma.enrichJob.count({ where: busy }) : 0;
    if (reopens + reads === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * P3 at one limit: every helpdesk's fake enforces `limit` in fixed windows and announces it in its own headers; the
 * worker starts from the documented default budgets, not told the limit. In process, on SQLite; a job is a note and a
 * reopen (one call on Zendesk). Zendesk's ticket-update budget (documented, no header) is left out: it is a second limit, measured below.
 */
export async function benchPaced(limit: EnforcedLimit, seconds: number): Promise<PacedFigures[]> {
  const fakes = await Promise.all([...conformanceCases.values()].map((scenario) => scenario.start()));
  const database = await sqliteDatabase();
  try {
    const limits = new Map(fakes.map(({ provider }) => [provider, limitFor(provider, limit)]));
    const jobs = new Map(
      fakes.map((fake) => [
        fake.provider,
        Math.round((((limit.requests * 1000) / limit.windowMs) * seconds) / unitsPerJob(fake)),
      ]),
    );
    const links = fakes.flatMap((fake) =>
      Array.from({ length: jobs.get(fake.provider)! }, (_, i) => conversation(fake.provider, i + 1)),
    );
    for (const link of links)
      fakes.find((fake) => fake.provider === link.provider)!.seed({ id: link.conversationId, open: false });
    await closeWithLinks(database, 1, links, { summary: false });
    for (const fake of fakes) fake.http.enforceRateLimit(limits.get(fake.provider));

    const worker = new HelpdeskWorker(
      database.prisma,
      database.engine,
      fakes.map((fake) => defaultLane(fake, "unbound")),
      () => Promise.reject(new Error("no GitHub in P3")),
      silent,
    );
    const started = performance.now();
    worker.start();
    await untilSettled(database, "reopen");
    const elapsed = (performance.now() - started) / 1000;
    await worker.stop();
    const dead = await database.prisma.reopenJob.count({ where: { state: "dead" } });
    if (dead > 0) throw new Error(`P3: ${dead} jobs dead`);
    return fakes.map((fake) => ({
      provider: providers.get(fake.provider)!.name,
      limit: limits.get(fake.provider)!,
      jobs: jobs.get(fake.provider)!,
      calls: fake.http.requests.length,
      rateLimited: fake.http.rateLimitedCount,
      ...shareOfLimit(fake.http.admitted, limit),
      seconds: elapsed,
    }));
  } finally {
    await database.close();
    await Promise.all(fakes.map((fake) => fake.close()));
  }
}

function printPaced(title: string, figures: readonly PacedFigures[]): void {
  console.log(title);
  console.log(
    "helpdesk     limit         jobs  calls  windows  share  worst   429s   (windows 0: no whole window in the run; share over the span)",
  );
  for (const f of figures) {
    const rate = f.rateLimited / f.calls;
    console.log(
      `${f.provider.padEnd(12)} ${`${f.limit.requests}/${f.limit.windowMs / 1000}s`.padEnd(12)} ${String(f.jobs).padStart(5)} ${String(f.calls).padStart(6)} ${String(f.windows).padStart(8)} ${f.share.toFixed(3).padStart(6)} ${f.worst.toFixed(3).padStart(6)} ${`${(rate * 100).toFixed(2)}%`.padStart(6)}` +
        `  share ≥ 0.98 ${f.share >= 0.98 ? "MET" : "MISSED"}; 429s < 1% ${rate < 0.01 ? "MET" : "MISSED"}`,
    );
  }
}

/** P3 at two limits, one after the other (bench/run.ts). */
export async function runP3(seconds: number): Promise<void> {
  const limits: EnforcedLimit[] = [
    { requests: 50, windowMs: 10_000, kind: "window" },
    { requests: 200, windowMs: 10_000, kind: "window" },
  ];
  const figures: PacedFigures[] = [];
  for (const limit of limits) figures.push(...(await benchPaced(limit, seconds)));
  printPaced(
    `\nP3 reopen throughput, not told the limit: each fake enforces it in fixed windows and announces it in its headers; ${seconds} s of work per helpdesk, in process on SQLite` +
      "\n(at 18c584e, told the limit: 0.995 of it, 0 % 429s; the issue's run not told: 0.87 with 45 % 429s)",
    figures,
  );
}

export interface ReplicaFigures {
  keeper: string;
  calls: number;
  rateLimited: number;
  share: number;
  windows: number;
  worst: number;
}

/**
 * P3r: three replica processes on one PostgreSQL against one fake Intercom enforcing `limit` (announced in its
 * headers), each starting from the documented default. `keeper`: the pace shared through the database (row lock or
 * advisory lock), or each process pacing alone (as before).
 */
async function benchReplicas(
  databaseUrl: string,
  keeper: "row" | "advisory" | "optimistic" | "local",
  limit: EnforcedLimit,
  seconds: number,
): Promise<ReplicaFigures> {
  const fake = await conformanceCases.get("intercom")!.start();
  const target = parseDatabaseUrl(databaseUrl);
  await migrate(target, readMigrationFiles("postgresql", PRISMA_DIR));
  const database = await openDatabase(target);
  const children: ReturnType<typeof spawn>[] = [];
  try {
    const jobs = Math.round((((limit.requests * 1000) / limit.windowMs) * seconds) / 2);
    const links = Array.from({ length: jobs }, (_, i) => conversation("intercom", i + 1));
    for (const link of links) fake.seed({ id: link.conversationId, open: false });
    fake.http.enforceRateLimit(limit);
    const script = fileURLToPath(new URL("reopen-replica.js", import.meta.url));
    const ready: Promise<void>[] = [];
    const exited: Promise<void>[] = [];
    for (let i = 0; i < 3; i += 1) {
      const child = spawn(process.execPath, [script, databaseUrl, keeper, JSON.stringify(fake.env())], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(child);
      ready.push(new Promise((resolve) => child.stdout!.once("data", () => resolve())));
      exited.push(
        new Promise((resolve, reject) =>
          child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`P3r replica exited with ${code}`)))),
        ),
      );
    }
    await Promise.all(ready);
    // Every replica polls by now: the close's jobs go to whichever claims first.
    await closeWithLinks(database, 1, links, { summary: false });
    await Promise.all(exited);
    const dead = await database.prisma.reopenJob.count({ where: { state: "dead" } });
    if (dead > 0) throw new Error(`P3r: ${dead} jobs dead`);
    return {
      keeper,
      calls: fake.http.requests.length,
      rateLimited: fake.http.rateLimitedCount,
      ...shareOfLimit(fake.http.admitted, limit),
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await database.close();
    await fake.close();
  }
}

export async function runP3r(seconds: number): Promise<void> {
  const limit: EnforcedLimit = { requests: 100, windowMs: 5_000, kind: "window" };
  const postgres = await startPostgres();
  const figures: ReplicaFigures[] = [];
  try {
    for (const keeper of ["row", "advisory", "optimistic", "local"] as const)
      figures.push(await benchReplicas(await postgres.newDatabaseUrl(), keeper, limit, seconds));
  } finally {
    await postgres.stop();
  }
  console.log(
    `\nP3r three replicas on one PostgreSQL against one fake Intercom enforcing ${limit.requests} per ${limit.windowMs / 1000} s (announced in its headers), ${seconds} s of work`,
  );
  console.log("budget                          calls  windows  share  worst   429s");
  const names = {
    row: "shared, row lock",
    advisory: "shared, advisory lock",
    optimistic: "shared, optimistic (default)",
    local: "each process alone (before)",
  };
  for (const f of figures) {
    const rate = f.rateLimited / f.calls;
    console.log(
      `${names[f.keeper as keyof typeof names].padEnd(30)} ${String(f.calls).padStart(6)} ${String(f.windows).padStart(8)} ${f.share.toFixed(3).padStart(6)} ${f.worst.toFixed(3).padStart(6)} ${`${(rate * 100).toFixed(2)}%`.padStart(6)}` +
        `  share ≥ 0.98 ${f.share >= 0.98 ? "MET" : "MISSED"}; 429s < 1% ${rate < 0.01 ? "MET" : "MISSED"}`,
    );
  }
}

/**
 * #12 item 1: a close of 60 linked Zendesk tickets with their 60 enrichment reads pending, scaled ten times faster
 * (update limit 100 per 6 s, account-wide 200 per 6 s announced in headers). Before: one budget of the update limit for
 * every call, reads in the same queue, headers not followed. After: reads on the account-wide budget.
 */
export async function runZendeskClose(): Promise<void> {
  const results: string[] = [];
  for (const mode of ["before", "after"] as const) {
    const fake = await conformanceCases.get("zendesk")!.start();
    const database = await sqliteDatabase();
    try {
      const links = Array.from({ length: 60 }, (_, i) => conversation("zendesk", i + 1));
      for (const link of links)
        fake.seed({
          id: link.conversationId,
          open: false,
          team: "Billing",
          tags: [],
          customerId: `c${link.conversationId}`,
        });
      await closeWithLinks(database, 1, links, { summary: false });
      fake.http.enforceRateLimit({ requests: 200, windowMs: 6_000, kind: "window" });
      const updates = { requests: 100, intervalMs: 6_000 };
      const lane = {
        ...defaultLane(fake),
        ...(mode === "before"
          ? { budget: updates, writeBudget: undefined }
          : { budget: { requests: 200, intervalMs: 6_000 }, writeBudget: updates }),
      };
      // Before, headers only paused a lane at zero, which one budget of the update limit never reached.
      const paces =
        mode === "before"
          ? new (class extends LocalPaces {
              override heed = () => Promise.resolve(0);
            })()
          : new LocalPaces();
      const worker = new HelpdeskWorker(
        database.prisma,
        database.engine,
        [lane],
        () => Promise.reject(new Error("no GitHub")),
        silent,
        { paces, enrichment: { customerKey: "bench", applyLabels: () => Promise.resolve() } },
      );
      const started = performance.now();
      worker.start();
      await untilSettled(database, "all");
      results.push(
        `${mode} ${((performance.now() - started) / 1000).toFixed(1)} s (${fake.http.rateLimitedCount} 429s)`,
      );
      await worker.stop();
    } finally {
      await database.close();
      await fake.close();
    }
  }
  console.log(
    `\nZendesk close of 60 linked tickets with 60 enrichment reads pending, scaled 10× (update limit 100 per 6 s, account-wide 200 per 6 s): time to all done: ${results.join("; ")} (real time: ten times as long)`,
  );
}
