import pg from "pg";
import { cpuSeconds } from "./cpu-time.js";
import { postgresBackends } from "./ingest.js";

/** A reading of where CPU went: PostgreSQL's processes by what they serve. */
export interface CpuReading {
  /** each PostgreSQL process's CPU seconds so far, with its kind (`postgresBackends`) */
  database: Map<number, { kind: string; seconds: number }>;
}

/**
 * Reads PostgreSQL's processes afresh each time: a backend the app's pool opened after the last reading, or an
 * autovacuum worker started since, counts its whole time, which it spent in the window (a process that started and
 * ended between two readings is not seen).
 */
export async function readCpu(databaseUrl: string): Promise<CpuReading> {
  const database = new Map<number, { kind: string; seconds: number }>();
  for (const { pid, kind } of await postgresBackends(databaseUrl)) {
    const seconds = cpuSeconds([pid]);
    if (seconds !== null) database.set(pid, { kind, seconds });
  }
  return { database };
}

/** PostgreSQL's CPU seconds by kind between two readings. */
export function cpuBetween(before: CpuReading, after: CpuReading): { database: Map<string, number> } {
  const database = new Map<string, number>();
  for (const [pid, { kind, seconds }] of after.database) {
    const spent = Math.max(0, seconds - (before.database.get(pid)?.seconds ?? 0));
    database.set(kind, (database.get(kind) ?? 0) + spent);
  }
  return { database };
}

/**
 * Samples pg_stat_activity on a connection of its own every `intervalMs` and tallies, per phase the bench names, what
 * each connection was doing: the inbox writer's, the app's others (by the table their statement names first) and
 * PostgreSQL's own processes; running on the CPU, waiting (by wait event: a commit's WAL flush is IO:WalSync or
 * LWLock:WALWrite, a row lock Lock:transactionid or Lock:tuple), idle in a transaction, or idle. It also keeps each
 * transaction it saw of the app's other connections, with how long it had been open at the last look and whether it
 * wrote (its statements named INSERT, UPDATE or DELETE): the backfill's pages among them.
 */
export class ActivitySampler {
  readonly #client: pg.Client;
  readonly #samples = new Map<string, Map<string, number>>();
  readonly #looks = new Map<string, number>();
  readonly #transactions = new Map<string, Map<string, { ms: number; writes: boolean }>>();
  #phase = "idle";
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(
    databaseUrl: string,
    private readonly intervalMs = 10,
  ) {
    this.#client = new pg.Client({ connectionString: databaseUrl, application_name: "bench sampler" });
  }

  async start(): Promise<void> {
    await this.#client.connect();
    this.#running = true;
    this.#loop = this.#run();
  }

  /** What the samples from now on are counted under. */
  phase(name: string): void {
    this.#phase = name;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.#client.end();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const { rows } = await this.#client.query<{
        pid: number;
        backend_type: string;
        application_name: string;
        state: string | null;
        wait: string | null;
        query: string;
        xact_ms: number | null;
        xact_start: string | null;
      }>(
        `SELECT "pid", "backend_type", "application_name", "state",
                "wait_event_type" || ':' || "wait_event" AS "wait", left("query", 200) AS "query",
                (extract(epoch FROM clock_timestamp() - "xact_start") * 1000)::float8 AS "xact_ms",
                "xact_start"::text AS "xact_start"
           FROM pg_stat_activity
          WHERE "pid" <> pg_backend_pid() AND "application_name" <> 'bench sampler'`,
      );
      const phase = this.#phase;
      const tally = this.#samples.get(phase) ?? new Map<string, number>();
      this.#samples.set(phase, tally);
      this.#looks.set(phase, (this.#looks.get(phase) ?? 0) + 1);
      for (const row of rows) {
        const who =
          row.backend_type !== "client backend"
            ? row.backend_type
            : row.application_name === "closeloop inbox"
              ? "inbox"
              : row.application_name === ""
                ? `app ${tableOf(row.query)}`
                : row.application_name;
        const doing =
          row.state === "active"
            ? (row.wait ?? "CPU")
            : row.state === "idle in transaction"
              ? "idle in transaction"
              : (row.wait ?? row.state ?? "?");
        // Idle connections and background processes in their main loop's sleep are not news.
        if (row.state === "idle" || row.wait?.startsWith("Activity:")) continue;
        const key = `${who} · ${doing}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        if (row.backend_type === "client backend" && row.application_name === "" && row.xact_start !== null) {
          const seen = this.#transactions.get(phase) ?? new Map<string, { ms: number; writes: boolean }>();
          this.#transactions.set(phase, seen);
          const id = `${row.pid} ${row.xact_start}`;
          const before = seen.get(id);
          seen.set(id, {
            ms: Math.max(before?.ms ?? 0, row.xact_ms ?? 0),
            writes: (before?.writes ?? false) || /^\s*(INSERT|UPDATE|DELETE|WITH)/i.test(row.query),
          });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }

  /** Lines per phase: each state's share of the looks (1.00 is one connection in that state all the time). */
  report(): string[] {
    const lines: string[] = [];
    for (const [phase, tally] of this.#samples) {
      const looks = this.#looks.get(phase)!;
      const shares = [...tally]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 14)
        .map(([key, count]) => `${key} ${(count / looks).toFixed(2)}`);
      lines.push(`${phase} (${looks} looks): ${shares.join("; ")}`);
      const seen = [...(this.#transactions.get(phase)?.values() ?? [])].filter((t) => t.writes);
      if (seen.length > 0) {
        const ms = seen.map((t) => t.ms).sort((a, b) => a - b);
        const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(0);
        lines.push(
          `${phase}: ${seen.length} writing transactions of the app's pool seen open, at least this long: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`,
        );
      }
    }
    return lines;
  }
}

/** The first table a statement names, for telling the app's work apart (a backfill's page writes Link, Source…). */
function tableOf(query: string): string {
  const verb = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? "?";
  const table = /"public"\."(\w+)"|"(\w+)"/.exec(query);
  return `${verb} ${table?.[1] ?? table?.[2] ?? ""}`.trim();
}
