import { createServer, connect, type Server, type Socket } from "node:net";
import { statementKind } from "../test/support/statements.js";

/**
 * What one process sent the database: its statements (each execution, by its verb and table as
 * `test/support/statements.ts` names them) and its executions (simple queries and Executes).
 */
export class StatementCount {
  readonly kinds = new Map<string, number>();
  executed = 0;
  /** the texts the process prepared under a name (statement-names.ts: at most 100, and the inbox's), on any connection */
  readonly named = new Set<string>();
  /** writes parsed as the unnamed statement: each one parsed and planned again at its run */
  unnamedWrites = 0;
  /** What each statement text is: the app sends the same few texts again and again, some of several KB. */
  readonly #texts = new Map<string, { kind: string; write: boolean }>();

  /** A statement text's kind, and whether it writes. */
  textOf(sql: string): { kind: string; write: boolean } {
    let text = this.#texts.get(sql);
    if (text === undefined) {
      text = { kind: statementKind(sql), write: /\b(INSERT|UPDATE|DELETE)\b/i.test(sql) };
      if (this.#texts.size < 10_000) this.#texts.set(sql, text);
    }
    return text;
  }

  /** Who waits for the next statement of a kind (`next`). */
  readonly #waiting = new Map<string, ((at: number) => void)[]>();

  add(kind: string): void {
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    const waiting = this.#waiting.get(kind);
    if (waiting === undefined) return;
    this.#waiting.delete(kind);
    const at = performance.now();
    for (const resolve of waiting) resolve(at);
  }

  /** When (performance.now()) the next statement of `kind` is sent. */
  next(kind: string): Promise<number> {
    return new Promise((resolve) => this.#waiting.set(kind, [...(this.#waiting.get(kind) ?? []), resolve]));
  }

  /** A copy, to subtract later (`since`). */
  snapshot(): { executed: number; kinds: Map<string, number> } {
    return { executed: this.executed, kinds: new Map(this.kinds) };
  }

  since(before: { executed: number; kinds: Map<string, number> }): { executed: number; kinds: Map<string, number> } {
    const kinds = new Map<string, number>();
    for (const [kind, n] of this.kinds)
      if (n - (before.kinds.get(kind) ?? 0) > 0) kinds.set(kind, n - (before.kinds.get(kind) ?? 0));
    return { executed: this.executed - before.executed, kinds };
  }
}

/**
 * Reads a client's side of PostgreSQL's protocol (https://www.postgresql.org/docs/current/protocol-message-formats.html)
 * from its chunks: the startup message has no type byte, every later message is a type byte and a length that counts
 * itself. A simple query ('Q') carries the statement's text and runs it. A Parse ('P') names a statement's text (the
 * unnamed statement, or a named one the client prepares once and runs again and again); a Bind ('B') is one run of
 * it, counted by that text's kind; an Execute ('E') runs what was bound. Messages are read where they lie in the
 * chunk; only a message cut by the chunk's end is kept, to be joined with the next chunk.
 */
function frontendMessages(count: StatementCount): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  let started = false;
  /** this connection's statements' kinds, by statement name ("" for the unnamed one) */
  const prepared = new Map<string, string>();
  return (chunk) => {
    const data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (;;) {
      if (!started) {
        if (data.length - at < 4) break;
        const length = data.readInt32BE(at);
        if (data.length - at < length) break;
        // An SSLRequest (8 bytes, code 80877103) is followed by the real startup message.
        started = !(length === 8 && data.readInt32BE(at + 4) === 80877103);
        at += length;
        continue;
      }
      if (data.length - at < 5) break;
      const end = at + 1 + data.readInt32BE(at + 1);
      if (data.length < end) break;
      const type = data[at]!;
      const body = at + 5;
      if (type === Q) {
        count.executed++;
        count.add(count.textOf(data.toString("utf8", body, data.indexOf(0, body))).kind);
      } else if (type === P) {
        const nameEnd = data.indexOf(0, body);
        const name = data.toString("latin1", body, nameEnd);
        const sql = data.toString("utf8", nameEnd + 1, data.indexOf(0, nameEnd + 1));
        const text = count.textOf(sql);
        if (name !== "") count.named.add(sql);
        else if (text.write) count.unnamedWrites++;
        prepared.set(name, text.kind);
      } else if (type === B) {
        const portalEnd = data.indexOf(0, body);
        count.add(prepared.get(data.toString("latin1", portalEnd + 1, data.indexOf(0, portalEnd + 1))) ?? "?");
      } else if (type === E) count.executed++;
      at = end;
    }
    pending = at === data.length ? undefined : data.subarray(at);
  };
}

const [Q, P, B, E] = ["Q", "P", "B", "E"].map((type) => type.charCodeAt(0)) as [number, number, number, number];

export interface DelayProxy {
  port: number;
  /** packets its clients sent */
  sent: number;
  statements: StatementCount;
  /** when (performance.now()) it last passed an answer of PostgreSQL's to its clients */
  readonly answeredAt: number;
  /** how long it held the chunks it passed on, both ways, in ms: how many, their sum, the shortest */
  readonly held: { chunks: number; ms: number; shortestMs: number };
  /** the local ports of its connections to the database: their sessions' client_port in pg_stat_activity */
  upstreamPorts(): number[];
  close(): Promise<void>;
}

/**
 * How early a chunk may leave: at the first wake-up (a read, or the timer) less than this before its time. Waking up
 * is most of a delaying proxy's CPU, more than its reads and writes: a timer for each chunk woke the bench up about
 * twice per chunk. Chunks due within this of each other leave together, most at a wake-up for a read, and on
 * average about when they are due; Node's timers count whole milliseconds, so a timer per chunk let some leave up to
 * 1 ms early too.
 */
const EARLY_MS = 0.5;

/** A chunk held (an `answer` of the database's, or what a client sent), or (`chunk` undefined) its connection's end. */
type Held = { due: number; to: Socket; chunk: Buffer | undefined; answer: boolean; by: Counts };
type Counts = { sent: number; answeredAt: number; held: { chunks: number; ms: number; shortestMs: number } };

/**
 * The chunks every proxy with the same delay holds, in one queue: all are held as long, so they are due in the order
 * they came, whatever their connection or direction, and one timer (for the first) serves them all.
 */
class DelayLine {
  readonly #held: Held[] = [];
  #first = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly delayMs: number) {}

  hold(to: Socket, chunk: Buffer | undefined, answer: boolean, by: Counts): void {
    const now = performance.now();
    this.#held.push({ due: now + this.delayMs, to, chunk, answer, by });
    this.#release(now);
  }

  /** Writes what is due, each socket's chunks in one write (cork), and sets the timer for the rest. */
  #release(now: number): void {
    const held = this.#held;
    let corked: Socket[] | undefined;
    while (this.#first < held.length && held[this.#first]!.due - EARLY_MS <= now) {
      const { due, to, chunk, answer, by } = held[this.#first++]!;
      if (chunk === undefined) {
        if (to.writableCorked > 0) to.uncork();
        to.destroy();
        continue;
      }
      if (to.writableCorked === 0) {
        to.cork();
        (corked ??= []).push(to);
      }
      to.write(chunk);
      const ms = now - due + this.delayMs;
      by.held.chunks++;
      by.held.ms += ms;
      if (ms < by.held.shortestMs) by.held.shortestMs = ms;
      if (answer) by.answeredAt = now;
    }
    if (corked !== undefined) for (const socket of corked) if (!socket.destroyed) socket.uncork();
    if (this.#first === held.length || this.#first > 1_000) {
      held.splice(0, this.#first);
      this.#first = 0;
    }
    if (held.length > 0 && this.#timer === undefined) {
      const wait = Math.max(1, Math.ceil(held[0]!.due - EARLY_MS - now));
      this.#timer = setTimeout(this.#onTimer, wait);
    }
  }

  readonly #onTimer = () => {
    this.#timer = undefined;
    this.#release(performance.now());
  };
}

const lines = new Map<number, DelayLine>();
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** The line of the proxies with this delay: one for all of them, so that one wake-up passes on what each holds. */
function delayLine(delayMs: number): DelayLine {
  let line = lines.get(delayMs);
  if (line === undefined) lines.set(delayMs, (line = new DelayLine(delayMs)));
  return line;
}
/**
 * A TCP proxy to `target` that holds every chunk `delayMs` before passing it on, in both directions, in order, and
 * counts the statements its clients send.
 */
export async function startDelayProxy(target: URL, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const counts: Counts = { sent: 0, answeredAt: 0, held: { chunks: 0, ms: 0, shortestMs: Infinity } };
  const statements = new StatementCount();
  const line = delayLine(delayMs);
  const server: Server = createServer((client) => {
    // The answers are read into one buffer, without a stream's events, and copied out to be held.
    const upstream = connect({
      port: Number(target.port),
      host: target.hostname,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes, buffer) => {
          line.hold(client, Buffer.copyBytesFrom(buffer, 0, bytes), true, counts);
          return true;
        },
      },
    });
    const read = frontendMessages(statements);
    client.on("data", (chunk: Buffer) => {
      counts.sent++;
      read(chunk);
      line.hold(upstream, chunk, false, counts);
    });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on("close", () => {
        sockets.delete(from);
        line.hold(to, undefined, to === client, counts);
      });
      from.on("error", () => to.destroy());
    }
    upstreams.add(upstream);
    upstream.on("close", () => upstreams.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    get sent() {
      return counts.sent;
    },
    get answeredAt() {
      return counts.answeredAt;
    },
    get held() {
      return { ...counts.held };
    },
    statements,
    upstreamPorts: () => [...upstreams].flatMap((socket) => (socket.localPort === undefined ? [] : [socket.localPort])),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
