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
  /** Kinds by statement text: the app sends the same few texts again and again, some of several KB. */
  readonly #kindOf = new Map<string, string>();

  /** The kind of a statement's text. */
  kindOf(sql: string): string {
    let kind = this.#kindOf.get(sql);
    if (kind === undefined) {
      kind = statementKind(sql);
      if (this.#kindOf.size < 10_000) this.#kindOf.set(sql, kind);
    }
    return kind;
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
 * it, counted by that text's kind; an Execute ('E') runs what was bound.
 */
function frontendMessages(count: StatementCount): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  /** this connection's statements' kinds, by statement name ("" for the unnamed one) */
  const prepared = new Map<string, string>();
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (!started) {
        if (pending.length < 4) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        // An SSLRequest (8 bytes, code 80877103) is followed by the real startup message.
        started = !(length === 8 && pending.readInt32BE(4) === 80877103);
        pending = pending.subarray(length);
        continue;
      }
      if (pending.length < 5) return;
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return;
      const type = pending[0]!;
      if (type === Q) {
        count.executed++;
        count.add(count.kindOf(pending.toString("utf8", 5, pending.indexOf(0, 5))));
      } else if (type === P) {
        const nameEnd = pending.indexOf(0, 5);
        const name = pending.toString("latin1", 5, nameEnd);
        const text = pending.toString("utf8", nameEnd + 1, pending.indexOf(0, nameEnd + 1));
        if (name !== "") count.named.add(text);
        else if (/\b(INSERT|UPDATE|DELETE)\b/i.test(text)) count.unnamedWrites++;
        prepared.set(name, count.kindOf(text));
      } else if (type === B) {
        const portalEnd = pending.indexOf(0, 5);
        count.add(prepared.get(pending.toString("latin1", portalEnd + 1, pending.indexOf(0, portalEnd + 1))) ?? "?");
      } else if (type === E) count.executed++;
      pending = pending.subarray(1 + length);
    }
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
  /** the local ports of its connections to the database: their sessions' client_port in pg_stat_activity */
  upstreamPorts(): number[];
  close(): Promise<void>;
}

/**
 * A TCP proxy to `target` that holds every chunk `delayMs` before passing it on, in both directions, in order, and
 * counts the statements its clients send.
 */
export async function startDelayProxy(target: URL, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const counts = { sent: 0, answeredAt: 0 };
  const statements = new StatementCount();
  const relay = (from: Socket, to: Socket, read?: (chunk: Buffer) => void) => {
    from.on("data", (chunk: Buffer) => {
      if (read !== undefined) {
        counts.sent++;
        read(chunk);
      }
      setTimeout(() => {
        to.write(chunk);
        if (read === undefined) counts.answeredAt = performance.now();
      }, delayMs);
    });
    from.on("close", () => setTimeout(() => to.destroy(), delayMs));
    from.on("error", () => to.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    upstreams.add(upstream);
    upstream.on("close", () => upstreams.delete(upstream));
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    relay(client, upstream, frontendMessages(statements));
    relay(upstream, client);
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
    statements,
    upstreamPorts: () => [...upstreams].flatMap((socket) => (socket.localPort === undefined ? [] : [socket.localPort])),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
