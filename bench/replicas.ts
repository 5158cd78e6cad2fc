import { availableParallelism } from "node:os";
import { startDelayProxy, type DelayProxy } from "./delay-proxy.js";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import pg from "pg";
import { FakeGitHub } from "../test/fakes/github-server.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import { JOB_KINDS } from "../src/jobs/job-kinds.js";
import { IMPACT_COUNTING } from "../src/store/impact-counting.js";
import { Prisma as Sql } from "../src/store/generated/sqlite/client.js";
import { openMigratedDatabase } from "./bench-database.js";
import { cpuSeconds } from "./cpu-time.js";
import { collectGarbage } from "./garbage.js";
import { DELIVERY_WORK, postgresBackends, postgresProcesses, waitForWork } from "./ingest.js";
import { startPostgres, startServer, type ServerProcess } from "./processes.js";
import { median, pairRatios, roundPlan } from "./rounds.js";
import { nextRound, steady, TOLERANCE, warmUpPlan, type WarmUpPlan } from "./warm-up.js";

/** One round's figures, or (`combineRounds`) those of all the rounds with as many processes. */
export interface ReplicaFigures {
  processes: number;
  deliveries: number;
  /** the round's, from the processes' resuming (the deliveries stored) until the inbox was empty; of rounds, the median */
  seconds: number;
  /** of rounds, the median */
  perSecond: number;
  /** deliveries each process measured handled (closeloop_deliveries_processed_total{outcome="done"}); a paused one is not */
  shares: number[];
  /** every delivery processed by one process, and none by a paused one */
  processedOnce: boolean;
  /** ms from the resuming to the last running process's first claim: how far they were from starting at once */
  firstClaimMs: number;
  /** deliveries that failed at least once (retry or dead), over all processes */
  failures: number;
  /** samples of the database's sessions waiting on a lock, and all samples of non-idle sessions */
  lockWaits: number;
  activeSamples: number;
  /** packets the processes sent to the database while processing, per delivery: about its round trips */
  roundTrips: number;
  /** statements the processes sent while processing (simple queries and Executes), per delivery */
  statementsPerDelivery: number;
  /** CPU time the closeloop processes spent per delivery (user + system), in milliseconds */
  cpuMsPerDelivery: number;
  /** the same for PostgreSQL's processes */
  databaseCpuMsPerDelivery: number;
  /**
   * the same for the bench's own process: the delaying proxies (most of it: a wake-up, a read and a write for every
   * chunk each way, then a wake-up to pass it on), their statement counting, and the sampling of PostgreSQL's sessions
   */
  benchCpuMsPerDelivery: number;
  /**
   * databaseCpuMsPerDelivery by what PostgreSQL worked for: the app's connections, the bench's one (storing the
   * deliveries, which stands for the webhooks' requests, then its polls), each background process
   */
  databaseCpuByKind: Map<string, number>;
  /** the statements all processes sent while processing, by kind */
  kinds: Map<string, number>;
}

/** Each process idle, before the rounds: statements a second, and CPU milliseconds a second. */
type Idle = { statementsPerSecond: number; cpuMsPerSecond: number; kinds: Map<string, number> }[];

/** How the processes were warmed up before they were measured. */
export interface WarmUp {
  /** deliveries each process was given */
  deliveries: number;
  seconds: number;
  /** each round's app CPU a delivery, over all the processes, in ms */
  rounds: number[];
  /** each process's own in the last round */
  lastByProcess: number[];
}

/** How each process is warmed up before it is measured (bench/warm-up.ts; BENCH_P8_WARM_UP overrides it). */
const WARM_UP = warmUpPlan(process.env.BENCH_P8_WARM_UP);

/**
 * How often, near the end, the bench asks whether the inbox is empty (which bounds the error on the time taken; it asks
 * less often before), and how often it samples PostgreSQL's sessions for lock waits. Each is a query that the bench
 * and PostgreSQL pay for on the cores being measured: one sample of pg_stat_activity takes PostgreSQL about 0.1 ms to
 * run, prepared (0.4-0.5 ms when it was planned at each sample; pg_stat_statements, BENCH_P8_STATEMENTS).
 */
const DONE_POLL_MS = 20;
const SESSIONS_SAMPLE_MS = 100;

/**
 * A directory for CPU profiles of the closeloop processes (BENCH_P8_CPU_PROF; none by default): each writes one when
 * it stops, which is when its figures are taken. The profiler costs the processes CPU, so the figures of such a run
 * are not comparable with others.
 */
const CPU_PROFILE_DIR = process.env.BENCH_P8_CPU_PROF || undefined;

/** How long each process is watched idle before the rounds. */
const IDLE_WINDOW_MS = Number(process.env.BENCH_P8_IDLE_MS ?? 5_000);

/**
 * What is the same before every round, of one process or of three. After the round before, all three processes run
 * for RUN_MS at least, and until its labels are applied: each resumed one polls at least once (the timers that ran out
 * while it was stopped fire, a connection its pool closed meanwhile is opened again). Then all three are stopped for
 * STOPPED_MS, and the deliveries stored; then the round's processes are resumed together, the clock started. A process
 * polls the inbox a second after its last poll: stopped longer than that, each claims as soon as it is resumed, where
 * a round timed from the storing would wait for the next poll of each (0 to 1 s, random, in rounds of 1 to 3 s).
 */
const RUN_MS = 1_200;
const STOPPED_MS = 1_100;

/** Whether the bench's garbage was collected before the rounds (collectGarbage). */
let collected = false;

/** The kind (test/support/statements.ts) of the delivery worker's claim, to see when each resumed process claimed. */
const DELIVERY_CLAIM = "UPDATE Delivery";

/** What P8 measured: each kind of round's figures over all its rounds, each round's, and the warm-up and idle before. */
export interface P8Figures {
  one: ReplicaFigures;
  three: ReplicaFigures;
  rounds: ReplicaFigures[];
  ratios: number[];
  warmUp: WarmUp;
  idle: Idle;
  /** what each stop that was undone and tried again found a process holding (a lease, a transaction, an answer) */
  stopsRetried: string[];
}

/**
 * P8: deliveries processed per second by 1 and by 3 processes sharing one PostgreSQL, reached through a proxy that
 * delays every packet by `delayMs` each way (a database on another host). On one small machine without the delay,
 * every process would only compete for the same cores; with it, what the bench shows is whether something makes the
 * processes (or one process's lanes) wait for each other. The deliveries are stored in the inbox before the processes
 * are told about them, so the figure is processing alone: capture, links, labels marked, jobs planned. Each process
 * has a proxy of its own, which counts its statements: idle first, then while processing.
 *
 * Three processes are started and warmed up once, then rounds alternate (`pairs` pairs): in a round of one, the
 * first process runs alone, the other two stopped (SIGSTOP) once they hold no lease and no open transaction; in a
 * round of three, all run. The ratio is the median of each pair's.
 */
export async function runP8(
  root: string,
  options: { deliveries?: number; delayMs?: number; repositories?: number; pairs?: number } = {},
): Promise<P8Figures> {
  const deliveries = options.deliveries ?? 300;
  const delayMs = options.delayMs ?? 1;
  const repositories = options.repositories ?? 1;
  const pairs = options.pairs ?? 5;
  const postgres = await startPostgres(STATEMENT_STATISTICS ? STATEMENT_STATISTICS_FLAGS : []);
  const github = new FakeGitHub();
  const host = await github.start();
  let measured: Omit<P8Figures, "one" | "three" | "ratios">;
  try {
    const direct = await postgres.newDatabaseUrl();
    await (await openMigratedDatabase(direct)).close();
    const proxies = await Promise.all(Array.from({ length: 3 }, () => startDelayProxy(new URL(direct), delayMs)));
    try {
      measured = await measure(root, direct, proxies, host, { deliveries, repositories, pairs });
      const statements = proxies.map((proxy) => proxy.statements);
      console.log(
        `P8 over the whole run, per process: statement texts prepared under a name ${statements.map((each) => each.named.size).join("/")}, writes parsed unnamed (planned at each run) ${statements.map((each) => each.unnamedWrites).join("/")}`,
      );
      const held = proxies.map((proxy) => proxy.held);
      const chunks = held.reduce((sum, each) => sum + each.chunks, 0);
      console.log(
        `P8 bench's garbage collected before each round: ${collected ? "yes" : "no (this Node gives no gc)"}; delaying proxies over the whole run: ${chunks} chunks held ${(held.reduce((sum, each) => sum + each.ms, 0) / chunks).toFixed(2)} ms on average each way (${delayMs} ms asked; the shortest ${Math.min(...held.map((each) => each.shortestMs)).toFixed(2)} ms)`,
      );
    } finally {
      await Promise.all(proxies.map((proxy) => proxy.close()));
    }
  } finally {
    await github.stop();
    await postgres.stop();
  }
  const { rounds, warmUp, idle, stopsRetried } = measured;
  const ofOne = rounds.filter((round) => round.processes === 1);
  const ofThree = rounds.filter((round) => round.processes === 3);
  const [one, three] = [combineRounds(ofOne), combineRounds(ofThree)];
  const ratios = pairRatios(
    ofOne.map((round) => round.perSecond),
    ofThree.map((round) => round.perSecond),
  );
  console.log(
    `\nP8 processing across replicas: ${deliveries} stored issue_comment deliveries a round on distinct issues of ${repositories} repositor${repositories === 1 ? "y" : "ies"}, PostgreSQL ${delayMs} ms away each way (a delaying proxy); three processes warmed up once (below), then ${pairs} pairs of rounds, one process (the other two paused) then three; deliveries/s and seconds are medians over each kind's rounds, the rest over all of them`,
  );
  console.log(
    `processes  deliveries/s   seconds  shares            failures  packets/delivery  statements/delivery  app CPU ms/delivery  lock waits / active sessions (sampled every ${SESSIONS_SAMPLE_MS} ms)`,
  );
  for (const figure of [one, three]) {
    console.log(
      `${String(figure.processes).padStart(9)}  ${figure.perSecond.toFixed(1).padStart(12)}  ${figure.seconds.toFixed(2).padStart(8)}  ${figure.shares.join("/").padEnd(16)}  ${String(figure.failures).padStart(8)}  ${figure.roundTrips.toFixed(1).padStart(16)}  ${figure.statementsPerDelivery.toFixed(1).padStart(19)}  ${figure.cpuMsPerDelivery.toFixed(1).padStart(19)}  ${figure.lockWaits} / ${figure.activeSamples}`,
    );
  }
  console.log(
    `P8 deliveries/s round by round, one process: ${ofOne.map((round) => round.perSecond.toFixed(1)).join(" ")}; three: ${ofThree.map((round) => round.perSecond.toFixed(1)).join(" ")}; ms from the resuming to the last running process's first claim, mean: one ${one.firstClaimMs.toFixed(1)}, three ${three.firstClaimMs.toFixed(1)}; stops retried ${stopsRetried.length} time(s)${stopsRetried.length === 0 ? "" : ` (${[...new Set(stopsRetried)].join("; ")})`}`,
  );
  console.log(describeWarmUp(warmUp));
  console.log(
    `P8 idle, 3 processes: statements/s per process ${idle.map((p) => p.statementsPerSecond.toFixed(1)).join("/")}, CPU ms/s per process ${idle.map((p) => p.cpuMsPerSecond.toFixed(1)).join("/")}; first process's: ${describeKinds(idle[0]!.kinds)}`,
  );
  for (const figure of [one, three])
    console.log(
      `P8 statements while processing, ${figure.processes} process${figure.processes === 1 ? "" : "es"}, per delivery: ${describeKinds(figure.kinds, figure.deliveries)}`,
    );
  for (const figure of [one, three])
    console.log(
      `P8 PostgreSQL CPU ms/delivery by its processes, ${figure.processes} process${figure.processes === 1 ? "" : "es"}: ${[
        ...figure.databaseCpuByKind,
      ]
        .sort((a, b) => b[1] - a[1])
        .map(([kind, ms]) => `${kind} ${ms.toFixed(2)}`)
        .join(", ")}`,
    );
  const ratio = median(ratios);
  // What the machine allows: every delivery costs the app, PostgreSQL and the bench (the proxies standing for the
  // network, mostly) this much CPU, all on these cores.
  // Three processes cannot go faster than the cores divided by that, whatever they share or not.
  const cores = availableParallelism();
  const perDelivery = one.cpuMsPerDelivery + one.databaseCpuMsPerDelivery + one.benchCpuMsPerDelivery;
  const ceiling = (cores * 1000) / perDelivery;
  const projected = Math.min(3 * one.perSecond, ceiling) / one.perSecond;
  console.log(
    `P8 ceiling on ${cores} cores: ${perDelivery.toFixed(1)} ms of CPU per delivery with one process (app ${one.cpuMsPerDelivery.toFixed(1)} + PostgreSQL ${one.databaseCpuMsPerDelivery.toFixed(1)} + bench process: delaying proxies, sampling ${one.benchCpuMsPerDelivery.toFixed(1)}) allow at most ${ceiling.toFixed(0)} deliveries/s: 3 processes at most ${projected.toFixed(2)}× one on this machine; 2.50× needs ${((cores * 1000) / (2.5 * one.perSecond)).toFixed(1)} ms per delivery at one process's ${one.perSecond.toFixed(1)}/s`,
  );
  const third = three.deliveries / 3;
  const spread = Math.max(...three.shares.map((share) => Math.abs(share - third) / third));
  const once = rounds.every((round) => round.processedOnce);
  console.log(
    `P8 ratio round by round: ${ratios.map((each) => `${each.toFixed(2)}×`).join(" ")}; ratio of the medians ${(three.perSecond / one.perSecond).toFixed(2)}×`,
  );
  console.log(
    `P8 ratio: 3 processes ${ratio.toFixed(2)}× one, the median of ${ratios.length} pairs (target ≥ 2.50×) ${ratio >= 2.5 ? "MET" : "MISSED"}; shares within ${(spread * 100).toFixed(0)} % of a third over the rounds of three (target ≤ 20 %) ${spread <= 0.2 ? "MET" : "MISSED"}; each delivery processed once, by a running process, in every round: ${once ? "yes" : "NO"}`,
  );
  return { one, three, rounds, ratios, warmUp, idle, stopsRetried };
}

/**
 * The figures of rounds with as many processes, together: deliveries/s and seconds the median round's, counts and
 * shares summed, figures per delivery over all their deliveries.
 */
export function combineRounds(rounds: readonly ReplicaFigures[]): ReplicaFigures {
  const deliveries = rounds.reduce((sum, round) => sum + round.deliveries, 0);
  const sum = (of: (round: ReplicaFigures) => number) => rounds.reduce((total, round) => total + of(round), 0);
  const perDelivery = (of: (round: ReplicaFigures) => number) =>
    sum((round) => of(round) * round.deliveries) / deliveries;
  const sumKinds = (of: (round: ReplicaFigures) => Map<string, number>, weighted: boolean) => {
    const kinds = new Map<string, number>();
    for (const round of rounds)
      for (const [kind, n] of of(round))
        kinds.set(kind, (kinds.get(kind) ?? 0) + (weighted ? (n * round.deliveries) / deliveries : n));
    return kinds;
  };
  return {
    processes: rounds[0]!.processes,
    deliveries,
    seconds: median(rounds.map((round) => round.seconds)),
    perSecond: median(rounds.map((round) => round.perSecond)),
    shares: rounds[0]!.shares.map((_, i) => sum((round) => round.shares[i]!)),
    processedOnce: rounds.every((round) => round.processedOnce),
    firstClaimMs: sum((round) => round.firstClaimMs) / rounds.length,
    failures: sum((round) => round.failures),
    lockWaits: sum((round) => round.lockWaits),
    activeSamples: sum((round) => round.activeSamples),
    roundTrips: perDelivery((round) => round.roundTrips),
    statementsPerDelivery: perDelivery((round) => round.statementsPerDelivery),
    cpuMsPerDelivery: perDelivery((round) => round.cpuMsPerDelivery),
    databaseCpuMsPerDelivery: perDelivery((round) => round.databaseCpuMsPerDelivery),
    benchCpuMsPerDelivery: perDelivery((round) => round.benchCpuMsPerDelivery),
    databaseCpuByKind: sumKinds((round) => round.databaseCpuByKind, true),
    kinds: sumKinds((round) => round.kinds, false),
  };
}

/** How long the processes warmed and their CPU a delivery by then: a reader sees whether it had levelled off. */
function describeWarmUp(warmUp: WarmUp): string {
  const of = `P8 warm-up, 3 processes:`;
  if (warmUp.deliveries === 0) return `${of} none, measured cold (BENCH_P8_WARM_UP=0)`;
  const level =
    warmUp.rounds.length < 4
      ? `too few rounds to tell whether it was steady`
      : steady(warmUp.rounds)
        ? `steady: the last two rounds within ${TOLERANCE * 100} % of the two before`
        : `NOT steady: the last two rounds more than ${TOLERANCE * 100} % off the two before`;
  return `${of} ${warmUp.deliveries} deliveries each in ${warmUp.seconds.toFixed(1)} s; app CPU ms/delivery by round of up to ${WARM_UP.round} each ${warmUp.rounds.map((ms) => ms.toFixed(2)).join(", ")} (${level}); each process's in the last round ${warmUp.lastByProcess.map((ms) => ms.toFixed(2)).join("/")}`;
}

/** `UPDATE Delivery 1.2, SELECT Issue 0.5, …`: counts by kind, most first, divided by `per`. */
function describeKinds(kinds: Map<string, number>, per = 1): string {
  return [...kinds]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${kind} ${Number.isInteger(n / per) ? n / per : (n / per).toFixed(2)}`)
    .join(", ");
}

/** Starts a closeloop process per proxy, warms them up, watches them idle, then runs the rounds. */
async function measure(
  root: string,
  directUrl: string,
  proxies: DelayProxy[],
  githubHost: string,
  { deliveries, repositories, pairs }: { deliveries: number; repositories: number; pairs: number },
): Promise<Omit<P8Figures, "one" | "three" | "ratios">> {
  const servers: ServerProcess[] = [];
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    if (STATEMENT_STATISTICS) await client.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
    for (const proxy of proxies) {
      const delayed = new URL(directUrl);
      delayed.port = String(proxy.port);
      servers.push(
        await startServer(
          "dist/server.js",
          root,
          {
            APP_ID: "4242",
            PRIVATE_KEY,
            WEBHOOK_SECRET: "bench-secret",
            GHE_HOST: githubHost,
            GHE_PROTOCOL: "http",
            DATABASE_URL: delayed.toString(),
          },
          { cpuProfileDir: CPU_PROFILE_DIR },
        ),
      );
    }
    // Every process polls the inbox at least once a second: all are idle and polling when the deliveries appear.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const warmUp = await warmUpProcesses(client, servers, WARM_UP);
    // and their labels applied by the markings job (a second after each mark), so the idle window is idle
    if (warmUp.deliveries > 0) await waitForWork(directUrl, DELIVERY_WORK);
    // What each does idle is watched for a while: its polls and their CPU.
    const idleBefore = proxies.map((proxy, i) => ({
      statements: proxy.statements.snapshot(),
      cpu: cpuMs(servers[i]!.child.pid!),
    }));
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    const idle = proxies.map((proxy, i) => {
      const sent = proxy.statements.since(idleBefore[i]!.statements);
      return {
        statementsPerSecond: sent.executed / idleSeconds,
        cpuMsPerSecond: (cpuMs(servers[i]!.child.pid!) - idleBefore[i]!.cpu) / idleSeconds,
        kinds: new Map([...sent.kinds].map(([kind, n]) => [kind, n / idleSeconds])),
      };
    });
    const rounds: ReplicaFigures[] = [];
    const plan = roundPlan(pairs);
    const replicas = servers.map((server, i) => ({ server, proxy: proxies[i]! }));
    // All three run and are idle here, as after each round below.
    let before = await Promise.all(servers.map((server) => processedBy(server)));
    const stopsRetried: string[] = [];
    for (const [round, processes] of plan.entries()) {
      // The round of one is always the first process, through the same proxy; the other two stay stopped.
      const running = replicas.slice(0, processes);
      stopsRetried.push(...(await pause(client, replicas)));
      await new Promise((resolve) => setTimeout(resolve, STOPPED_MS));
      const figure = await measureRound(
        directUrl,
        client,
        running,
        commentPayloads(deliveries, repositories, round * deliveries),
        `p8-${round}-`,
        // pg_stat_statements is read for the last round of each kind only: one table for each, as before rounds.
        STATEMENT_STATISTICS && round >= plan.length - 2,
      );
      resume(replicas);
      // The round's labels are applied before the next's deliveries are stored, so neither runs in another's window.
      await Promise.all([new Promise((resolve) => setTimeout(resolve, RUN_MS)), waitForWork(directUrl, DELIVERY_WORK)]);
      const after = await Promise.all(servers.map((server) => processedBy(server)));
      const counts = after.map((count, i) => ({
        done: count.done - before[i]!.done,
        failed: count.failed - before[i]!.failed,
      }));
      before = after;
      figure.shares = counts.slice(0, processes).map((count) => count.done);
      figure.failures = counts.reduce((sum, count) => sum + count.failed, 0);
      figure.processedOnce =
        counts.slice(processes).every((count) => count.done === 0) &&
        counts.reduce((sum, count) => sum + count.done, 0) === figure.deliveries;
      rounds.push(figure);
    }
    return { rounds, warmUp, idle, stopsRetried };
  } finally {
    await client.end();
    await Promise.all(
      servers.map((server) => {
        server.child.kill("SIGCONT");
        return server.stop();
      }),
    );
  }
}

type Replica = { server: ServerProcess; proxy: DelayProxy };

/**
 * Stops `replicas` (SIGSTOP) where they hold nothing another process could wait for, no lease on any leased table and
 * no transaction open, and have no answer from PostgreSQL still to read (a poll answered after it stopped would set
 * its next poll a second after it is resumed). Stopped in the middle of something, a process is let run a little
 * longer and stopped again; what each undone stop found is returned.
 */
async function pause(client: pg.Client, replicas: Replica[]): Promise<string[]> {
  const retried: string[] = [];
  for (let attempt = 1; ; attempt++) {
    for (const { server } of replicas) server.child.kill("SIGSTOP");
    const stopped = performance.now();
    // What a process wrote just before it stopped still reaches PostgreSQL through its proxy, `delayMs` later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const holding = await heldByPaused(client, replicas);
    for (const [i, { proxy }] of replicas.entries())
      if (proxy.answeredAt > stopped - ANSWER_MARGIN_MS) holding.push(`process ${i + 1} answered as it stopped`);
    if (holding.length === 0) return retried;
    retried.push(holding.join(", "));
    resume(replicas);
    if (attempt === 50) throw new Error(`P8 could not pause its processes without work in hand: ${holding.join("; ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How long before its stop a process is taken to have read an answer of PostgreSQL's. */
const ANSWER_MARGIN_MS = 10;

function resume(replicas: Replica[]): void {
  for (const { server } of replicas) server.child.kill("SIGCONT");
}

/** What stopped `replicas` hold: their sessions not idle (a transaction open), and their leases, by table. */
async function heldByPaused(client: pg.Client, replicas: Replica[]): Promise<string[]> {
  const ports = replicas.flatMap(({ proxy }) => proxy.upstreamPorts());
  const sessions = await client.query<{ state: string }>(
    `SELECT state FROM pg_stat_activity WHERE datname = current_database() AND client_port = ANY($1) AND state <> 'idle'`,
    [ports],
  );
  const holding = sessions.rows.map((row) => `a session ${row.state}`);
  const owners = replicas.map(({ server }) => `%:${server.child.pid}:%`);
  for (const table of [...JOB_KINDS.map((kind) => kind.table), IMPACT_COUNTING]) {
    const query = Sql.sql`SELECT COUNT(*) AS n FROM ${Sql.raw(`"${table.table}"`)} WHERE (${table.held}) AND "lockedBy" LIKE ANY (${owners})`;
    const n = Number((await client.query<{ n: string }>(query.text, query.values)).rows[0]!.n);
    if (n > 0) holding.push(`${n} ${table.kind} lease(s)`);
  }
  return holding;
}

/**
 * One round, all the processes stopped when it starts: `payloads` stored at once, the `running` processes resumed,
 * timed until the inbox is empty, with what they, PostgreSQL and the bench spent meanwhile. Shares, failures and
 * whether each delivery was processed once are the caller's to fill in: a stopped process cannot answer for /metrics.
 */
async function measureRound(
  directUrl: string,
  client: pg.Client,
  running: Replica[],
  payloads: string[],
  prefix: string,
  statementStatistics: boolean,
): Promise<ReplicaFigures> {
  const [servers, proxies] = [running.map((each) => each.server), running.map((each) => each.proxy)];
  // PostgreSQL's backends for the pools open as the processes need them: each one's CPU is counted from here, or
  // from its start when it opened during the run.
  const databaseBefore = new Map((await postgresProcesses(directUrl)).map((pid) => [pid, cpuSeconds([pid]) ?? 0]));
  const benchBackend = (await client.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)).rows[0]!.pid;
  if (statementStatistics) await client.query(`SELECT pg_stat_statements_reset()`);
  const sentBefore = proxies.map((proxy) => ({ packets: proxy.sent, statements: proxy.statements.snapshot() }));
  const cpuBefore = servers.map((server) => cpuMs(server.child.pid!));
  // The deliveries stored stand for GitHub sending them: the bench's CPU is counted once the statement that stores
  // them is encoded and written (synchronously, in the call), as the cost of sending them is not the network's.
  const stored = storeDeliveries(client, payloads, prefix);
  // The payloads generated and the statement storing them (several MB a round) are the bench's garbage: V8 collected
  // it in the rounds, 10 to 70 ms of the bench's CPU at the start of most (0.1 to 0.2 ms a delivery), counted with
  // the proxies'. Collected here, the processes still stopped.
  collected = collectGarbage();
  const benchBefore = process.cpuUsage();
  await stored;
  const claimed = Promise.all(proxies.map((proxy) => proxy.statements.next(DELIVERY_CLAIM)));
  resume(running);
  const started = performance.now();
  let lastFirstClaim: number | undefined;
  void claimed.then((at) => (lastFirstClaim = Math.max(...at)));
  const storedCpu = cpuSeconds([benchBackend]) ?? 0;
  let activeSamples = 0;
  let lockWaits = 0;
  let sampling = true;
  const sampled = (async () => {
    while (sampling) {
      // Named, as the two polls are: prepared once, where PostgreSQL planned pg_stat_activity's view at each sample.
      const { rows } = await client.query<{ waiting: string; active: string }>({
        name: "p8-sessions",
        text: `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting, count(*) FILTER (WHERE state <> 'idle') AS active
             FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      });
      lockWaits += Number(rows[0]!.waiting);
      activeSamples += Number(rows[0]!.active);
      await new Promise((resolve) => setTimeout(resolve, SESSIONS_SAMPLE_MS));
    }
  })();
  for (;;) {
    const { rows } = await client.query<{ left: string }>({
      name: "p8-left",
      text: `SELECT count(*) AS left FROM "Delivery" WHERE "deadAt" IS NULL`,
    });
    const left = Number(rows[0]!.left);
    if (left === 0) break;
    // Asked again in half the time the deliveries left should take at the pace so far, and every DONE_POLL_MS near
    // the end: a few dozen polls a run where one every DONE_POLL_MS made hundreds, each paid for on these cores.
    const pace = (payloads.length - left) / (performance.now() - started);
    await new Promise((resolve) =>
      setTimeout(resolve, pace > 0 ? Math.min(Math.max(left / pace / 2, DONE_POLL_MS), 1_000) : DONE_POLL_MS),
    );
  }
  const ended = performance.now();
  const seconds = (ended - started) / 1000;
  sampling = false;
  await sampled;
  if (CPU_PROFILE_DIR !== undefined) {
    // The profiles' timestamps are microseconds of the same monotonic clock: the window to read them over.
    const onProfileClock = (at: number) =>
      (process.hrtime.bigint() - BigInt(Math.round((performance.now() - at) * 1e6))) / 1000n;
    console.log(
      `P8 ${proxies.length} process(es) measured from ${onProfileClock(started)} to ${onProfileClock(ended)} µs (profile clock), profiles in ${CPU_PROFILE_DIR}`,
    );
  }
  const sent = proxies.map((proxy, i) => proxy.statements.since(sentBefore[i]!.statements));
  const kinds = new Map<string, number>();
  for (const { kinds: each } of sent) for (const [kind, n] of each) kinds.set(kind, (kinds.get(kind) ?? 0) + n);
  const packets = proxies.reduce((sum, proxy, i) => sum + proxy.sent - sentBefore[i]!.packets, 0);
  const cpu = servers.reduce((sum, server, i) => sum + cpuMs(server.child.pid!) - cpuBefore[i]!, 0);
  const bench = process.cpuUsage(benchBefore);
  const databaseCpuBy = new Map<string, number>();
  const addDatabaseCpu = (kind: string, seconds: number) =>
    databaseCpuBy.set(kind, (databaseCpuBy.get(kind) ?? 0) + (seconds * 1000) / payloads.length);
  for (const { pid, kind } of await postgresBackends(directUrl, { bench: benchBackend })) {
    const now = cpuSeconds([pid]) ?? 0;
    if (pid !== benchBackend) addDatabaseCpu(kind, now - (databaseBefore.get(pid) ?? 0));
    else {
      addDatabaseCpu("bench's storing of the deliveries", storedCpu - (databaseBefore.get(pid) ?? 0));
      addDatabaseCpu("bench's polls and samples", now - storedCpu);
    }
  }
  const databaseCpu = ([...databaseCpuBy.values()].reduce((a, b) => a + b, 0) * payloads.length) / 1000;
  if (statementStatistics) await printStatementStatistics(client, payloads.length, running.length);
  return {
    processes: proxies.length,
    deliveries: payloads.length,
    seconds,
    perSecond: payloads.length / seconds,
    shares: [],
    processedOnce: false,
    // a process that never claimed (another took every delivery first) counts as claiming at the end
    firstClaimMs: (lastFirstClaim ?? ended) - started,
    failures: 0,
    lockWaits,
    activeSamples,
    roundTrips: packets / payloads.length,
    statementsPerDelivery: sent.reduce((sum, each) => sum + each.executed, 0) / payloads.length,
    cpuMsPerDelivery: cpu / payloads.length,
    databaseCpuMsPerDelivery: (databaseCpu * 1000) / payloads.length,
    benchCpuMsPerDelivery: (bench.user + bench.system) / 1000 / payloads.length,
    databaseCpuByKind: databaseCpuBy,
    kinds,
  };
}

/**
 * Stores deliveries in the inbox as the inbox would, in one statement. The payloads go as one JSON array, which `pg`
 * sends as it is, where it would escape a text[] element by element in JavaScript.
 */
async function storeDeliveries(client: pg.Client, payloads: string[], prefix: string): Promise<void> {
  await client.query(
    `INSERT INTO "Delivery" ("id", "name", "payload", "receivedAt") SELECT $2::text || n, 'issue_comment', p, now() FROM json_array_elements_text($1::json) WITH ORDINALITY AS d(p, n)`,
    [JSON.stringify(payloads), prefix],
  );
}

/**
 * Deliveries on other issues first, round after round, so each process runs the measured ones warm (V8's optimised
 * code, Prisma's compiled queries, the statements prepared on its connections), as a replica that has been running for a
 * while does.
 */
async function warmUpProcesses(client: pg.Client, servers: ServerProcess[], plan: WarmUpPlan): Promise<WarmUp> {
  const started = performance.now();
  const rounds: number[] = [];
  let lastByProcess: number[] = [];
  let warmed = 0;
  for (let each = nextRound(plan, 0, []); each > 0; each = nextRound(plan, warmed, rounds)) {
    const before = await Promise.all(
      servers.map(async (server) => ({ cpu: cpuMs(server.child.pid!), ...(await processedBy(server)) })),
    );
    await storeDeliveries(
      client,
      commentPayloads(each * servers.length, 1, 100_000 + warmed * servers.length),
      `warm-${rounds.length}-`,
    );
    await drained(client);
    const after = await Promise.all(
      servers.map(async (server) => ({ cpu: cpuMs(server.child.pid!), ...(await processedBy(server)) })),
    );
    const cpu = after.map((now, i) => now.cpu - before[i]!.cpu);
    const done = after.map((now, i) => now.done - before[i]!.done);
    lastByProcess = cpu.map((ms, i) => ms / done[i]!);
    rounds.push(cpu.reduce((a, b) => a + b, 0) / (each * servers.length));
    warmed += each;
  }
  return { deliveries: warmed, seconds: (performance.now() - started) / 1000, rounds, lastByProcess };
}

/** Waits until the inbox is empty. */
async function drained(client: pg.Client): Promise<void> {
  while (Number((await client.query<{ left: string }>(`SELECT count(*) AS left FROM "Delivery"`)).rows[0]!.left) > 0)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

/** CPU time in ms a closeloop process has used so far (cpuSeconds: its threads' time, to the nanosecond). */
function cpuMs(pid: number): number {
  return (cpuSeconds([pid]) ?? Number.NaN) * 1000;
}

/** What a process says it handled, from its /metrics. */
async function processedBy(server: ServerProcess): Promise<{ done: number; failed: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (outcome: string) =>
    Number(
      new RegExp(`^closeloop_deliveries_processed_total\\{outcome="${outcome}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0,
    );
  return { done: value("done"), failed: value("retry") + value("dead") };
}

/** `issue_comment.created` payloads, one per issue, each with a conversation URL, spread over `repositories`. */
export function commentPayloads(count: number, repositories: number, first = 0): string[] {
  const template = (examples as { name: string; examples: Record<string, any>[] }[])
    .find((e) => e.name === "issue_comment")!
    .examples.find((e) => e.action === "created")!;
  return Array.from({ length: count }, (_, n) => {
    const i = first + n;
    const payload = structuredClone(template);
    const repo = i % repositories;
    payload.installation = { id: 77, node_id: "bench" };
    payload.repository.id = 6_000_000 + repo;
    payload.repository.name = `repo-${repo}`;
    payload.repository.full_name = `bench-org/repo-${repo}`;
    payload.repository.owner.login = "bench-org";
    payload.issue.number = 1 + i;
    payload.issue.id = 8_000_000 + i;
    payload.comment.id = 2_000_000 + i;
    payload.comment.body = `Another customer: https://acme.zendesk.com/agent/tickets/${50_000 + i}`;
    return JSON.stringify(payload);
  });
}

/**
 * With BENCH_P8_STATEMENTS=1, PostgreSQL loads pg_stat_statements and the bench prints, for the measured window, each
 * statement's planning and execution time per delivery: where PostgreSQL's CPU goes, statement by statement. The
 * extension costs PostgreSQL CPU of its own, so such a run's figures are not comparable with others.
 */
const STATEMENT_STATISTICS = process.env.BENCH_P8_STATEMENTS === "1";
const STATEMENT_STATISTICS_FLAGS = [
  "-c",
  "shared_preload_libraries=pg_stat_statements",
  "-c",
  "pg_stat_statements.track_planning=on",
];

async function printStatementStatistics(client: pg.Client, deliveries: number, processes: number): Promise<void> {
  const { rows } = await client.query<{
    calls: string;
    plans: string;
    plan: number;
    exec: number;
    rows: string;
    query: string;
  }>(
    `SELECT calls, plans, total_plan_time AS plan, total_exec_time AS exec, rows, query FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY total_plan_time + total_exec_time DESC LIMIT 15`,
  );
  console.log(
    `P8 statements by PostgreSQL's time (planning + execution), ms per delivery, calls per delivery, last round of ${processes} process${processes === 1 ? "" : "es"}:`,
  );
  for (const row of rows)
    console.log(
      `  ${((row.plan + row.exec) / deliveries).toFixed(3).padStart(7)} (plan ${(row.plan / deliveries).toFixed(3)}, ${row.plans} plans)  ${(Number(row.calls) / deliveries).toFixed(2).padStart(5)}×  ${row.query.replace(/\s+/g, " ").slice(0, 160)}`,
    );
}
