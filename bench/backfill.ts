import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { fork } from "node:child_process";
import { GeneratedInstallation } from "../test/fakes/github-installation.js";
import { githubAppEnv } from "../test/support/process.js";
import { openDatabase } from "../src/store/database.js";
import { commentDeliveries, driveLoad, type LoadResult } from "./webhook-load.js";
import { startServer, type ServerProcess } from "./processes.js";
import type { FakeGithubChildMessage, FakeGithubChildOptions, ServedCalls } from "./fake-github-child.js";
import { cpuSeconds, machineBusySeconds } from "./cpu-time.js";
import { inboxCounts, postgresProcesses, walPosition } from "./ingest.js";
import { ActivitySampler, cpuBetween, readCpu } from "./postgres-profile.js";
import { onProfileClock } from "./cpu-profiles.js";
import { nextRound, warmUpPlan, type WarmUpPlan } from "./warm-up.js";

const SECRET = "bench-secret";

export interface BackfillBenchOptions {
  repositories: number;
  issues: number;
  comments: number;
  /** the fake GitHub's primary rate limit: calls per second per installation token */
  callsPerSecond: number;
  /** deliveries per P1 round, with and without the backfill running */
  events: number;
  concurrency: number;
  /** P1's rounds before the backfill and during it, each a bare app's round and closeloop's, alternating */
  rounds: number;
  /** the engines to run, all by default */
  engines?: readonly string[] | undefined;
  /** PostgreSQL: sample pg_stat_activity every 10 ms and print what each connection was doing (costs CPU itself) */
  sampleActivity?: boolean;
  /**
   * a folder for a CPU profile of the server (`node --cpu-prof`), written when it stops: each of closeloop's rounds
   * prints its window on the profile's clock, for bench/cpu-profiles.ts
   */
  cpuProfileDir?: string | undefined;
  /**
   * seconds of a steady trickle of deliveries (5 a second, one at a time) before the backfill and during it, after
   * P1's rounds; 0 for none. Longer than the costly steps' backstop (10 s), it shows a backfill running beside webhooks
   * that never pause for half a second, as a real installation's do.
   */
  trickleSeconds?: number;
}

/**
 * The install backfill of a big installation in the real process (`node dist/server.js`), started by the
 * `installation.created` delivery as on GitHub, against a fake GitHub (a process of its own) that serves generated
 * listings under a primary rate limit. Prints progress, the seconds, GitHub calls by kind against the minimum (listings
 * of 100 only), the server's peak memory, its CPU per item read, and P1's ingest (signed comment deliveries over HTTP)
 * while the backfill runs and before it, each in rounds alternating with a bare Probot app's as P1's own section does.
 */
export async function runBackfillBench(
  root: string,
  buildDir: string,
  engines: { engine: string; url: () => Promise<string> }[],
  options: BackfillBenchOptions,
): Promise<void> {
  const perRepository = (n: number) => Math.max(1, Math.round(n / options.repositories));
  console.log(
    `\nBackfill: ${options.repositories.toLocaleString("en")} repositories, ${(perRepository(options.issues) * options.repositories).toLocaleString("en")} issues (every tenth a pull request), ${(perRepository(options.comments) * options.repositories).toLocaleString("en")} comments, through a fake GitHub limited to ${options.callsPerSecond} calls/s per installation (GitHub's 12,500 an hour for a big installation is 3.5); P1 ingest ${options.events} deliveries a round, ${options.concurrency} in flight, ${options.rounds} rounds before and ${options.rounds} during, each beside a bare Probot app's round with nothing else running (the server and the fake GitHub paused)`,
  );
  for (const { engine, url } of engines) {
    if (options.engines !== undefined && !options.engines.includes(engine)) continue;
    const label = engine.padEnd(12);
    const generated = {
      installationId: 88,
      owner: "big-org",
      repositories: options.repositories,
      issuesPerRepository: perRepository(options.issues),
      commentsPerRepository: perRepository(options.comments),
      now: new Date().toISOString(),
    };
    const installation = new GeneratedInstallation({ ...generated, now: new Date(generated.now) });
    // Windows of 10 s, so a limit of a few calls a second (GitHub's 12,500 an hour is 3.5) still comes in whole calls.
    const github = await startFakeGithub(buildDir, {
      installation: generated,
      rateLimit: { limit: Math.max(1, Math.round(options.callsPerSecond * 10)), windowMs: 10_000 },
    });
    const databaseUrl = await url();
    const env = githubAppEnv(github.host, SECRET, databaseUrl);
    const server = await startServer("dist/server.js", root, env, { cpuProfileDir: options.cpuProfileDir });
    // P1's baseline: a bare Probot app with an empty handler, the same deliveries (bench/bare-app.ts).
    const bare = await startServer(join(buildDir, "bench/bare-app.js"), root, env);
    const database = await openDatabase(databaseUrl);
    const databasePids = databaseUrl.startsWith("postgresql") ? await postgresProcesses(databaseUrl) : [];
    // PostgreSQL's processes are read afresh for each window (postgresReading): the app's pool opens backends later.
    const meter = new CpuMeter({ server: [server.child.pid!], database: [], github: [github.child.pid!] });
    const profile = new Profiles();
    const sampler = options.sampleActivity && databasePids.length > 0 ? new ActivitySampler(databaseUrl) : undefined;
    await sampler?.start();
    let pausedMs = 0;
    try {
      const template = (examples as { name: string; examples: Record<string, any>[] }[])
        .find((e) => e.name === "issue_comment")!
        .examples.find((e) => e.action === "created")!;
      const inboxEmpty = async () => {
        while ((await database.prisma.delivery.count({ where: { deadAt: null } })) > 0)
          await new Promise((resolve) => setTimeout(resolve, 100));
      };
      let seed = 100;
      // A round's deliveries are signed before it begins (1,000 take a few hundred milliseconds on a loaded machine):
      // the work the server did meanwhile is not the round's, nor is what the backfill read then.
      const deliveries = () => commentDeliveries(template, SECRET, options.events, seed++);
      const round = async (target: ServerProcess, signed: ReturnType<typeof deliveries>, phase?: string) => {
        const counts = phase === undefined ? null : await inboxCounts(target.url);
        const postgres = phase === undefined ? undefined : await postgresReading(databaseUrl);
        const own = process.cpuUsage();
        const at = meter.snapshot();
        const machineAt = machineBusySeconds();
        sampler?.phase(phase ?? "bare app's round");
        const from = performance.now();
        const result = await driveLoad(`${target.url}/api/github/webhooks`, signed, options.concurrency);
        if (options.cpuProfileDir !== undefined && phase !== undefined)
          console.log(
            `${label} ${phase}: ${options.events} deliveries measured from ${onProfileClock(from)} to ${onProfileClock(performance.now())} µs (profile clock), profiles in ${options.cpuProfileDir}`,
          );
        sampler?.phase("between rounds");
        const machine = machineBusySeconds();
        const cpu = meter.since(at);
        const generator = process.cpuUsage(own);
        const busy = machine === null || machineAt === null ? null : machine - machineAt;
        if (phase !== undefined) {
          const figures = new Map<string, number>([
            ["closeloop", cpu.server ?? 0],
            ["the fake GitHub", cpu.github ?? 0],
            ["the load generator (bench)", (generator.user + generator.system) / 1e6],
          ]);
          const spent = await postgresSince(databaseUrl, postgres);
          if (spent !== null) {
            cpu.database = sum(spent.database.values());
            for (const [kind, seconds] of spent.database) figures.set(`PostgreSQL ${kind}`, seconds);
            figures.set("WAL bytes", spent.walBytes / 1e6);
          }
          if (busy !== null) figures.set("the whole machine", busy);
          const after = await inboxCounts(target.url);
          if (counts !== null && after !== null) figures.set("inbox commits", (after.commits - counts.commits) / 1e6);
          profile.add(phase, options.events, figures);
        }
        return { result, cpu, busy };
      };
      // A bare round with nothing else running: the server and the fake GitHub stopped (SIGSTOP) while it lasts, so
      // neither the backfill nor the pages' generation takes the bare app's CPU; their clocks run on, the time is not
      // counted in the backfill's seconds.
      const bareRound = async (phase: string) => {
        const signed = deliveries();
        const stopped = performance.now();
        for (const child of [server.child, github.child]) child.kill("SIGSTOP");
        try {
          const before = cpuSeconds([bare.child.pid!]);
          const own = process.cpuUsage();
          const { result, busy } = await round(bare, signed);
          const generator = process.cpuUsage(own);
          const app = (cpuSeconds([bare.child.pid!]) ?? 0) - (before ?? 0);
          profile.add(`the bare app's rounds ${phase}`, options.events, [
            ["the bare app", app],
            ["the load generator (bench)", (generator.user + generator.system) / 1e6],
            ...(busy === null ? [] : [["the whole machine", busy] as const]),
          ]);
          return { result, cpu: perDelivery(app) };
        } finally {
          for (const child of [server.child, github.child]) child.kill("SIGCONT");
          pausedMs += performance.now() - stopped;
        }
      };
      const perDelivery = (seconds: number | null) => (seconds === null ? null : (seconds * 1e6) / options.events);
      // Each app warmed until its CPU a delivery levels off (bench/warm-up.ts), as P8's processes are: after 300
      // deliveries the bare app still spent a third more a delivery than it did later, so the rounds before the
      // backfill, run first, compared closeloop with a colder bare app than the rounds during it did.
      const warmedUp: string[] = [];
      for (const [name, target] of [
        ["bare app", bare],
        ["closeloop", server],
      ] as const) {
        const warm = await warmUp(warmUpPlan(undefined), async (each, round) => {
          const before = cpuSeconds([target.child.pid!]);
          await driveLoad(
            `${target.url}/api/github/webhooks`,
            commentDeliveries(template, SECRET, each, 1_000 + round),
            options.concurrency,
          );
          if (target === server) await inboxEmpty();
          return ((cpuSeconds([target.child.pid!]) ?? 0) - (before ?? 0)) * 1e6;
        });
        warmedUp.push(
          `${name} ${warm.deliveries} deliveries (${warm.lastMicros.toFixed(0)} µs of CPU each at the end)`,
        );
      }
      console.log(`${label} warmed up: ${warmedUp.join(", ")}`);

      // P1 before the backfill, alternating rounds; the server's inbox emptied after each of its rounds, so the work a
      // round stored is not done during the next bare round.
      const before = new Rounds();
      for (let r = 0; r < options.rounds; r++) {
        before.bare.push(await bareRound("before the backfill"));
        const alone = await round(server, deliveries(), "closeloop's rounds before the backfill");
        await inboxEmpty();
        before.closeloop.push({ result: alone.result, cpu: perDelivery(alone.cpu.server) });
      }

      const trickleBefore = await trickle(server.url, deliveries, options.trickleSeconds ?? 0);
      await inboxEmpty();
      // The server's peak before the backfill (its start and P1's loads): what the backfill adds shows above it.
      const peakBefore = peakResidentMemory(server.child.pid);
      const status = async () => {
        const sums = await database.prisma.backfill.aggregate({
          _sum: { issues: true, comments: true, links: true },
        });
        const done = await database.prisma.backfill.count({ where: { state: { in: ["done", "failed"] } } });
        const items = (sums._sum.issues ?? 0) + (sums._sum.comments ?? 0);
        return { done, items, ...sums._sum };
      };
      // The backfill's CPU and items are counted over the spans without P1's load (a round and the processing of what
      // it stored), each process's CPU its own difference, so a figure per item is the backfill's alone and never
      // below zero.
      const quiet = { cpu: { server: 0, database: 0, github: 0 }, items: 0 };
      let quietFrom = { cpu: meter.snapshot(), postgres: await postgresReading(databaseUrl), items: 0 };
      sampler?.phase("the backfill alone");
      const quietEnds = async () => {
        const spent = meter.since(quietFrom.cpu);
        const postgres = await postgresSince(databaseUrl, quietFrom.postgres);
        if (postgres !== null) spent.database = sum(postgres.database.values());
        for (const key of ["server", "database", "github"] as const) quiet.cpu[key] += spent[key] ?? 0;
        const items = (await status()).items;
        quiet.items += items - quietFrom.items;
        if (items > quietFrom.items) {
          const figures = new Map<string, number>([
            ["closeloop", spent.server ?? 0],
            ["the fake GitHub", spent.github ?? 0],
          ]);
          if (postgres !== null) {
            for (const [kind, seconds] of postgres.database) figures.set(`PostgreSQL ${kind}`, seconds);
            figures.set("WAL bytes", postgres.walBytes / 1e6);
          }
          profile.pool("the backfill alone, per issue or comment read", items - quietFrom.items, figures);
        }
        return items;
      };
      const started = performance.now();
      await postInstallationCreated(server.url, installation);
      const seconds = () => (performance.now() - started - pausedMs) / 1000;
      const progress = async () => {
        const now = await status();
        const calls = await github.calls();
        const total = calls.issuePages + calls.commentPages + calls.perIssue + calls.config + calls.other;
        console.log(
          `${label} ${seconds().toFixed(0).padStart(5)} s: ${now.done}/${options.repositories} repositories · ${now.issues ?? 0} issues · ${now.comments ?? 0} comments · ${now.links ?? 0} links · ${total} GitHub calls`,
        );
        return now.done === options.repositories;
      };
      // P1 once the backfill is under way (its first pages read: the delivery that asked for it waited in the inbox),
      // the same server, the same deliveries' shape, alternating with bare rounds.
      while ((await github.calls()).issuePages < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      const during = new Rounds();
      const duringCpu: { server: number[]; database: number[]; github: number[] } = {
        server: [],
        database: [],
        github: [],
      };
      let readDuring = 0;
      let overlapped = true;
      for (let r = 0; r < options.rounds && overlapped; r++) {
        during.bare.push(await bareRound("during the backfill"));
        const signed = deliveries();
        const itemsBefore = await quietEnds();
        const loaded = await round(server, signed, "closeloop's rounds during the backfill");
        readDuring += (await status()).items - itemsBefore;
        overlapped = (await status()).done < options.repositories;
        await inboxEmpty();
        quietFrom = {
          cpu: meter.snapshot(),
          postgres: await postgresReading(databaseUrl),
          items: (await status()).items,
        };
        sampler?.phase("the backfill alone");
        during.closeloop.push({ result: loaded.result, cpu: perDelivery(loaded.cpu.server) });
        for (const key of ["server", "database", "github"] as const) {
          const value = perDelivery(loaded.cpu[key]);
          if (value !== null) duringCpu[key].push(value);
        }
      }
      const readBeforeTrickle = (await status()).items;
      const trickleDuring = overlapped ? await trickle(server.url, deliveries, options.trickleSeconds ?? 0) : null;
      const trickleOverlapped = (await status()).done < options.repositories;
      const readDuringTrickle = (await status()).items - readBeforeTrickle;
      // A progress line every 10 seconds, and one at the end.
      while (!(await progress())) {
        const printed = seconds();
        while (seconds() - printed < 10 && (await status()).done < options.repositories)
          await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await quietEnds();
      sampler?.phase("after the backfill");
      const took = seconds();
      const stored = await status();
      const failed = await database.prisma.backfill.count({ where: { state: "failed" } });
      const peakRss = peakResidentMemory(server.child.pid);
      const expected = installation.totals();
      const minimum = installation.minimumCalls();
      const byKind = await github.calls();
      const listings = byKind.issuePages + byKind.commentPages;
      const minimumListings = minimum.issuePages + minimum.commentPages;
      const ratio = listings / minimumListings;
      console.log(
        `${label} done in ${took.toFixed(1)} s (${failed} repositories failed): ${stored.issues} issues, ${stored.comments} comments, ${stored.links} links read; the data holds ${expected.issues}, ${expected.comments}, ${expected.links}: ${stored.issues === expected.issues && stored.comments === expected.comments && stored.links === expected.links ? "ALL READ" : "MISSING SOME"}`,
      );
      console.log(
        `${label} GitHub calls: issue pages ${byKind.issuePages} (minimum ${minimum.issuePages}), comment pages ${byKind.commentPages} (minimum ${minimum.commentPages}), per-issue calls ${byKind.perIssue} (minimum 0), config reads ${byKind.config} (${minimum.configReads}: each repository's own file, and the owner's .github once, kept 5 minutes), other ${byKind.other}; ${byKind.rateLimited} answered 403 for the rate limit and retried`,
      );
      console.log(
        `${label} ratio: listing calls ${ratio.toFixed(2)}× the minimum (target ≤ 1.00×) ${ratio <= 1 && byKind.perIssue === 0 ? "MET" : "MISSED"}; ${(listings / took).toFixed(0)} listing calls/s; server peak RSS ${megabytes(peakRss)} (${megabytes(peakBefore)} before the backfill, its start and P1's loads)`,
      );
      const perItem = (cpu: number) => (quiet.items === 0 ? "unknown" : `${((cpu * 1e6) / quiet.items).toFixed(0)} µs`);
      const items = (stored.issues ?? 0) + (stored.comments ?? 0);
      console.log(
        `${label} throughput: ${(options.repositories / took).toFixed(2)} repositories/s, ${(items / took).toFixed(0)} issues and comments/s; CPU per issue or comment read, over the ${quiet.items} read with no P1 load running: server ${perItem(quiet.cpu.server)}${databasePids.length === 0 ? "" : `, PostgreSQL ${perItem(quiet.cpu.database)}`}, the fake GitHub ${perItem(quiet.cpu.github)} (GitHub's own work: not the app's)`,
      );
      // GitHub's primary limit for an installation: 5,000 calls an hour, up to 15,000 for a big organisation.
      const fewest = minimumListings + minimum.configReads;
      console.log(
        `${label} at GitHub's real limit: ${fewest.toLocaleString("en")} calls at least, so ${(fewest / 15_000).toFixed(1)}–${(fewest / 5_000).toFixed(1)} hours (15,000–5,000 calls an hour); here ${(took / 3600).toFixed(2)} hours at ${options.callsPerSecond} calls/s`,
      );
      if (trickleBefore !== null)
        console.log(
          `${label} a trickle of ${trickleBefore.events} deliveries at 5 a second: latency before the backfill p50 ${trickleBefore.p50Ms.toFixed(1)} ms, p99 ${trickleBefore.p99Ms.toFixed(1)} ms; during it ${trickleDuring === null ? "not measured (the backfill had finished)" : `p50 ${trickleDuring.p50Ms.toFixed(1)} ms, p99 ${trickleDuring.p99Ms.toFixed(1)} ms, while the backfill read ${readDuringTrickle} issues and comments${trickleOverlapped ? "" : " (and finished before the trickle did)"}`}`,
        );
      const ahead = before.ratio();
      console.log(
        `${label} P1 ingest before the backfill (median of ${before.closeloop.length} rounds): bare Probot app ${formatLoad(ahead.bare)}; closeloop ${formatLoad(ahead.closeloop)}: ${ahead.events.toFixed(2)}×, p99 ${ahead.p99.toFixed(2)}×`,
      );
      if (during.closeloop.length === 0) {
        console.log(`${label} P1 during the backfill: not measured (the backfill finished before the first round)`);
        continue;
      }
      const loaded = during.ratio();
      console.log(
        `${label} P1 ingest during the backfill (median of ${during.closeloop.length} rounds): bare Probot app ${formatLoad(loaded.bare)}; closeloop ${formatLoad(loaded.closeloop)}${overlapped ? "" : " (the backfill had finished before the last round did)"}; ${readDuring} issues and comments read during the rounds`,
      );
      console.log(
        `${label} ratio: P1 during the backfill ${loaded.events.toFixed(2)}× the bare app's events/s (target ≥ 1.00×), p99 ${loaded.p99.toFixed(2)}× (target ≤ 1.50×) ${loaded.events >= 1 && loaded.p99 <= 1.5 ? "MET" : "MISSED"}; round by round ${during.roundRatios()}; ${(loaded.closeloop.eventsPerSecond / ahead.closeloop.eventsPerSecond).toFixed(2)}× and p99 ${(loaded.closeloop.p99Ms / ahead.closeloop.p99Ms).toFixed(2)}× of closeloop before it`,
      );
      for (const line of profile.report()) console.log(`${label} ${line}`);
      for (const line of sampler?.report() ?? []) console.log(`${label} activity: ${line}`);
      const micros = (value: number | null) => (value === null ? "?" : `${value.toFixed(0)} µs`);
      console.log(
        `${label} CPU per delivery in the rounds: bare app ${micros(during.bareCpu())}; closeloop ${micros(before.closeloopCpu())} before the backfill, ${micros(middle(duringCpu.server))} during it${databasePids.length === 0 ? "" : ` + PostgreSQL ${micros(middle(duringCpu.database))}`} + the fake GitHub ${micros(middle(duringCpu.github))}`,
      );
    } finally {
      await sampler?.stop();
      await database.close();
      await server.stop();
      await bare.stop();
      await github.stop();
    }
  }
}

/** P1's rounds of one phase: the bare app's and closeloop's, compared by their medians as P1's section does. */
class Rounds {
  readonly bare: { result: LoadResult; cpu: number | null }[] = [];
  readonly closeloop: { result: LoadResult; cpu: number | null }[] = [];

  ratio() {
    const bare = medianLoad(this.bare.map((round) => round.result));
    const closeloop = medianLoad(this.closeloop.map((round) => round.result));
    return {
      bare,
      closeloop,
      events: closeloop.eventsPerSecond / bare.eventsPerSecond,
      p99: closeloop.p99Ms / bare.p99Ms,
    };
  }

  roundRatios(): string {
    return this.closeloop
      .map((round, r) => `${(round.result.eventsPerSecond / this.bare[r]!.result.eventsPerSecond).toFixed(2)}×`)
      .join(" ");
  }

  bareCpu(): number | null {
    return middle(this.bare.map((round) => round.cpu));
  }

  closeloopCpu(): number | null {
    return middle(this.closeloop.map((round) => round.cpu));
  }
}

/**
 * Gives an app rounds of deliveries by the plan (bench/warm-up.ts) until it is warm: `round(each, n)` sends `each`
 * and returns the µs of CPU they took. The deliveries given, and the CPU a delivery of the last round.
 */
async function warmUp(
  plan: WarmUpPlan,
  round: (each: number, n: number) => Promise<number>,
): Promise<{ deliveries: number; lastMicros: number }> {
  const rounds: number[] = [];
  let warmed = 0;
  for (let each = nextRound(plan, 0, []); each > 0; each = nextRound(plan, warmed, rounds)) {
    rounds.push((await round(each, rounds.length)) / each);
    warmed += each;
  }
  return { deliveries: warmed, lastMicros: rounds.at(-1) ?? 0 };
}

/** The round with the median throughput; its p99 is reported with it. */
function medianLoad(results: LoadResult[]): LoadResult {
  return [...results].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[Math.floor(results.length / 2)]!;
}

const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

function middle(values: (number | null)[]): number | null {
  const known = values.filter((value) => value !== null).sort((a, b) => a - b);
  return known.length === 0 ? null : known[Math.floor(known.length / 2)]!;
}

type Processes = Record<"server" | "database" | "github", number[]>;

/**
 * CPU seconds of the server, PostgreSQL's processes and the fake GitHub, from /proc. Each process's time is its own
 * difference between two snapshots, so a backend that ended meanwhile (its time gone from /proc) counts nothing,
 * never less than nothing.
 */
class CpuMeter {
  constructor(private readonly processes: Processes) {}

  snapshot(): Map<number, number> {
    const taken = new Map<number, number>();
    for (const pid of Object.values(this.processes).flat()) {
      const seconds = cpuSeconds([pid]);
      if (seconds !== null) taken.set(pid, seconds);
    }
    return taken;
  }

  /** Seconds each group used since `taken`; null for a group none of whose processes could be read. */
  since(taken: Map<number, number>): Record<keyof Processes, number | null> {
    const spent = (pids: number[]) => {
      let total: number | null = null;
      for (const pid of pids) {
        const now = cpuSeconds([pid]);
        const then = taken.get(pid);
        if (now === null || then === undefined) continue;
        total = (total ?? 0) + Math.max(0, now - then);
      }
      return total;
    };
    return {
      server: spent(this.processes.server),
      database: spent(this.processes.database),
      github: spent(this.processes.github),
    };
  }
}

/** The fake GitHub in its own process (bench/fake-github-child.ts): its host, its pid, and the calls it served. */
async function startFakeGithub(buildDir: string, options: FakeGithubChildOptions) {
  const child = fork(join(buildDir, "bench/fake-github-child.js"), [JSON.stringify(options)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = () =>
    new Promise<FakeGithubChildMessage>((resolve, reject) => {
      const failed = (code: number | null) => reject(new Error(`the fake GitHub exited with ${code}`));
      child.once("exit", failed);
      child.once("message", (message: FakeGithubChildMessage) => {
        child.off("exit", failed);
        resolve(message);
      });
    });
  const started = await next();
  if (!("host" in started)) throw new Error("the fake GitHub did not say where it listens");
  return {
    host: started.host,
    child,
    async calls(): Promise<ServedCalls> {
      const answer = next();
      child.send("calls");
      const message = await answer;
      if (!("calls" in message)) throw new Error("the fake GitHub did not count its calls");
      return message.calls;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

function formatLoad(load: LoadResult): string {
  return `${load.eventsPerSecond.toFixed(0)} events/s, p99 ${load.p99Ms.toFixed(1)} ms, ${load.failures} failures`;
}

async function postInstallationCreated(serverUrl: string, installation: GeneratedInstallation): Promise<void> {
  const payload = structuredClone(
    (examples as { name: string; examples: Record<string, any>[] }[])
      .find((e) => e.name === "installation")!
      .examples.find((e) => e.action === "created")!,
  );
  payload.installation.id = installation.installationId;
  payload.installation.account.login = installation.owner;
  payload.repositories = installation.repositories.map((repository) => ({ ...repository, private: false }));
  const body = JSON.stringify(payload);
  const response = await fetch(`${serverUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "installation",
      "x-github-delivery": "bench-installation-created",
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
    body,
  });
  if (response.status !== 200) throw new Error(`installation.created answered ${response.status}`);
}

const megabytes = (bytes: number | null) => (bytes === null ? "unknown" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);

/** The process's peak resident memory (VmHWM), from /proc; null where there is none. */
function peakResidentMemory(pid: number | undefined): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** PostgreSQL's CPU by process and its WAL position, for `postgresSince`; undefined on SQLite. */
async function postgresReading(databaseUrl: string) {
  if (!databaseUrl.startsWith("postgresql")) return undefined;
  return { cpu: await readCpu(databaseUrl), wal: await walPosition(databaseUrl) };
}

/** PostgreSQL's CPU seconds by kind and the WAL bytes written since `reading`; null on SQLite. */
async function postgresSince(databaseUrl: string, reading: Awaited<ReturnType<typeof postgresReading>>) {
  if (reading === undefined) return null;
  const wal = await walPosition(databaseUrl);
  return { ...cpuBetween(reading.cpu, await readCpu(databaseUrl)), walBytes: wal - reading.wal };
}

/**
 * Where the time of a phase's windows went, per unit (a delivery, an item read): each window's figures, printed as the
 * median per key in µs (CPU) or bytes (WAL bytes, passed in millions so one scale serves both).
 */
class Profiles {
  readonly #phases = new Map<string, Map<string, number>[]>();
  /** phases whose windows differ in size (the backfill's quiet spans): their sums, divided once */
  readonly #pooled = new Map<string, { units: number; seconds: Map<string, number> }>();

  add(phase: string, units: number, seconds: Iterable<readonly [string, number]>): void {
    const windows = this.#phases.get(phase) ?? [];
    this.#phases.set(phase, windows);
    windows.push(new Map([...seconds].map(([key, value]) => [key, (value * 1e6) / units])));
  }

  /** A window of a phase reported over all its units at once, not as the median window (a short one weighs little). */
  pool(phase: string, units: number, seconds: Iterable<readonly [string, number]>): void {
    const pooled = this.#pooled.get(phase) ?? { units: 0, seconds: new Map<string, number>() };
    this.#pooled.set(phase, pooled);
    pooled.units += units;
    for (const [key, value] of seconds) pooled.seconds.set(key, (pooled.seconds.get(key) ?? 0) + value);
  }

  report(): string[] {
    const phases = [...this.#phases].map(([phase, windows]) => ({
      phase,
      windows,
      over: `median of ${windows.length}`,
    }));
    for (const [phase, { units, seconds }] of this.#pooled)
      phases.push({
        phase,
        windows: [new Map([...seconds].map(([key, value]) => [key, (value * 1e6) / units]))],
        over: `over all ${units} together`,
      });
    return phases.map(({ phase, windows, over }) => {
      const keys = [...new Set(windows.flatMap((window) => [...window.keys()]))];
      const known = keys.filter((key) => !["WAL bytes", "the whole machine", "inbox commits"].includes(key));
      const median = (key: string) => middle(windows.map((window) => window.get(key) ?? 0)) ?? 0;
      const parts = known
        .map((key) => [key, median(key)] as const)
        .sort((a, b) => b[1] - a[1])
        .map(([key, value]) => `${key} ${value.toFixed(0)}`);
      const machine = keys.includes("the whole machine")
        ? `; the whole machine ${median("the whole machine").toFixed(0)}, of which not these processes ${middle(windows.map((window) => (window.get("the whole machine") ?? 0) - known.reduce((sum, key) => sum + (window.get(key) ?? 0), 0)))!.toFixed(0)}`
        : "";
      const wal = keys.includes("WAL bytes") ? `; WAL ${median("WAL bytes").toFixed(0)} bytes` : "";
      const commits = keys.includes("inbox commits")
        ? `; ${(1 / median("inbox commits")).toFixed(1)} per inbox commit`
        : "";
      return `profile, ${phase} (µs of CPU each, ${over}): ${parts.join(", ")}${machine}${wal}${commits}`;
    });
  }
}

/**
 * Deliveries one at a time, 5 a second for `seconds`, each sent at its time whatever the last one took: their
 * latencies. Null when `seconds` is 0.
 */
async function trickle(
  serverUrl: string,
  deliveries: () => { body: string; signature: string; id: string }[],
  seconds: number,
): Promise<LoadResult | null> {
  if (seconds <= 0) return null;
  const signed = deliveries().slice(0, Math.round(seconds * 5));
  const started = performance.now();
  const latencies: number[] = [];
  let failures = 0;
  for (const [i, delivery] of signed.entries()) {
    const due = started + i * 200;
    if (performance.now() < due) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
    const result = await driveLoad(`${serverUrl}/api/github/webhooks`, [delivery], 1);
    latencies.push(result.p50Ms);
    failures += result.failures;
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  const elapsed = (performance.now() - started) / 1000;
  return {
    events: signed.length,
    seconds: elapsed,
    eventsPerSecond: signed.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
  };
}
