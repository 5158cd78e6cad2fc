import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ProviderId } from "../../src/domain/link.js";

/**
 * Loopback HTTP plumbing shared by the fake helpdesks: routing, request recording, scripted and random faults, and an
 * optional enforced rate limit, so a provider's fake only describes its API (auth, bodies, state, error shapes).
 * Listens on 127.0.0.1 with an ephemeral port; nothing leaves the machine.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** parsed JSON, parsed form (as an object), the raw text, or undefined when empty */
  body: unknown;
  /** the status the fake answered with; undefined for a reset connection */
  answered?: number;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Fault =
  /** a 429 as the provider sends it, asking to wait this many seconds */
  | { kind: "rate-limited"; retryAfterSeconds: number }
  /** any status with an optional body, e.g. 500 */
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** the normal answer, after a delay (longer than the client's timeout to provoke one) */
  | { kind: "slow"; delayMs: number }
  /** the socket is destroyed before any byte of the answer */
  | { kind: "reset" }
  /** the request is carried out, then its answer is lost: this status instead (a gateway that gave up after the work) */
  | { kind: "lost"; status: number }
  /**
   * the request is carried out, then no answer comes at all (the caller waits until it gives up or dies); `carried` is
   * told the moment the work is done, so a test can kill the caller exactly between the helpdesk's write and its own
   */
  | { kind: "hang"; carried?: () => void };

export interface Route {
  method: string;
  path: RegExp;
  /** no credentials needed (an OAuth token endpoint) */
  open?: boolean;
  handle(request: RecordedRequest, match: RegExpMatchArray): FakeReply;
}

export interface FakeHelpdeskOptions {
  routes: Route[];
  /** undefined when the request's credentials are right, else the provider's 401 */
  authorize(request: RecordedRequest): FakeReply | undefined;
  /** the provider's own 429 */
  rateLimited(retryAfterSeconds: number, limit: number | undefined): FakeReply;
  /** the provider's rate-limit headers, sent on every answer while a limit is enforced */
  rateLimitHeaders(state: { limit: number; remaining: number; resetAt: Date }): Record<string, string>;
  /** units of the limit a request takes (Help Scout counts a write as two); 1 by default */
  cost?(request: RecordedRequest): number;
}

/**
 * A limit the fake enforces: a token bucket refilled continuously (the default), or fixed windows aligned to multiples
 * of `windowMs` since the epoch, which reset at once (Intercom's 10 s windows, the per-minute limits of the others).
 */
export interface EnforcedLimit {
  requests: number;
  windowMs: number;
  kind?: "bucket" | "window";
}

type Match = (request: RecordedRequest) => boolean;

/** A small, seeded PRNG (mulberry32), so a fault pattern can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class FakeHelpdesk {
  readonly requests: RecordedRequest[] = [];
  /** answers refused by the enforced rate limit */
  rateLimitedCount = 0;
  url = "";

  private readonly server = createServer((request, response) => void this.receive(request, response));
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scripted: { fault: Fault; times: number; match: Match }[] = [];
  private random: { probability: number; faults: Fault[]; next: () => number; match: Match } | undefined;
  private bucket:
    { capacity: number; perMs: number; tokens: number; at: number; windowMs: number | undefined } | undefined;
  /** when the enforced limit let a request through, and the units it took (benchmarks measure the share of the limit) */
  readonly admitted: { at: number; units: number }[] = [];

  constructor(private readonly options: FakeHelpdeskOptions) {
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** The next `times` matching requests (default: the next one) get this fault instead of their answer. */
  failNext(fault: Fault, options: { times?: number; match?: Match } = {}): void {
    this.scripted.push({ fault, times: options.times ?? 1, match: options.match ?? (() => true) });
  }

  /** Each matching request gets one of `faults` with this probability, drawn from a seeded generator. */
  failRandomly(options: { probability: number; faults: Fault[]; seed: number; match?: Match }): void {
    this.random = {
      probability: options.probability,
      faults: options.faults,
      next: seededRandom(options.seed),
      match: options.match ?? (() => true),
    };
  }

  /** `requests` per `windowMs`; beyond it the provider's 429 with the time until a unit frees up. */
  enforceRateLimit(limit: EnforcedLimit | undefined): void {
    this.bucket =
      limit === undefined
        ? undefined
        : {
            capacity: limit.requests,
            perMs: limit.requests / limit.windowMs,
            tokens: limit.requests,
            at: Date.now(),
            windowMs: limit.kind === "window" ? limit.windowMs : undefined,
          };
  }

  /** Drops scripted and random faults and the rate limit; keeps recorded requests. */
  calm(): void {
    this.scripted = [];
    this.random = undefined;
    this.bucket = undefined;
  }

  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async receive(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readText(incoming);
    const url = new URL(incoming.url ?? "/", "http://fake");
    const request: RecordedRequest = {
      method: incoming.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body: parseBody(text, incoming.headers["content-type"]),
    };
    this.requests.push(request);

    const fault = this.takeFault(request);
    if (fault?.kind === "reset") {
      incoming.socket.destroy();
      return;
    }
    if (fault?.kind === "slow") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, fault.delayMs);
        this.timers.add(timer);
      });
      if (incoming.socket.destroyed) return;
    }

    const carried = this.answer(request, fault);
    if (fault?.kind === "hang") {
      fault.carried?.();
      return;
    }
    const reply =
      fault?.kind === "lost"
        ? { status: fault.status, body: { error: "answer lost after the work was done" } }
        : carried;
    request.answered = reply.status;
    const headers: Record<string, string> = { ...this.limitHeaders(), ...reply.headers };
    if (reply.body === undefined) {
      response.writeHead(reply.status, headers).end();
      return;
    }
    const payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    headers["content-type"] ??= typeof reply.body === "string" ? "text/plain" : "application/json";
    response.writeHead(reply.status, headers).end(payload);
  }

  private answer(request: RecordedRequest, fault: Fault | undefined): FakeReply {
    if (fault?.kind === "rate-limited") return this.options.rateLimited(fault.retryAfterSeconds, this.bucket?.capacity);
    if (fault?.kind === "status")
      return {
        status: fault.status,
        body: fault.body,
        ...(fault.headers === undefined ? {} : { headers: fault.headers }),
      };

    if (this.bucket !== undefined) {
      this.refill();
      const cost = this.options.cost?.(request) ?? 1;
      if (this.bucket.tokens < cost) {
        this.rateLimitedCount += 1;
        const waitMs =
          this.bucket.windowMs === undefined
            ? (cost - this.bucket.tokens) / this.bucket.perMs
            : this.windowEnd() - Date.now();
        return this.options.rateLimited(Math.max(1, Math.ceil(waitMs / 1000)), this.bucket.capacity);
      }
      this.bucket.tokens -= cost;
      this.admitted.push({ at: Date.now(), units: cost });
    }

    for (const route of this.options.routes) {
      if (route.method !== request.method) continue;
      const match = request.path.match(route.path);
      if (match === null) continue;
      if (route.open !== true) {
        const refused = this.options.authorize(request);
        if (refused !== undefined) return refused;
      }
      return route.handle(request, match);
    }
    const refused = this.options.authorize(request);
    return refused ?? { status: 404, body: { message: "no such endpoint in the fake" } };
  }

  private takeFault(request: RecordedRequest): Fault | undefined {
    const scripted = this.scripted.find((entry) => entry.times > 0 && entry.match(request));
    if (scripted !== undefined) {
      scripted.times -= 1;
      this.scripted = this.scripted.filter((entry) => entry.times > 0);
      return scripted.fault;
    }
    if (this.random !== undefined && this.random.match(request) && this.random.next() < this.random.probability) {
      return this.random.faults[Math.floor(this.random.next() * this.random.faults.length)];
    }
    return undefined;
  }

  private refill(): void {
    if (this.bucket === undefined) return;
    const now = Date.now();
    if (this.bucket.windowMs !== undefined) {
      // A new window starts full.
      if (Math.floor(now / this.bucket.windowMs) !== Math.floor(this.bucket.at / this.bucket.windowMs))
        this.bucket.tokens = this.bucket.capacity;
    } else {
      this.bucket.tokens = Math.min(
        this.bucket.capacity,
        this.bucket.tokens + (now - this.bucket.at) * this.bucket.perMs,
      );
    }
    this.bucket.at = now;
  }

  private windowEnd(): number {
    const windowMs = this.bucket!.windowMs!;
    return (Math.floor(Date.now() / windowMs) + 1) * windowMs;
  }

  private limitHeaders(): Record<string, string> {
    if (this.bucket === undefined) return {};
    this.refill();
    const resetAt =
      this.bucket.windowMs === undefined
        ? Date.now() + (this.bucket.capacity - this.bucket.tokens) / this.bucket.perMs
        : this.windowEnd();
    return this.options.rateLimitHeaders({
      limit: this.bucket.capacity,
      remaining: Math.max(0, Math.floor(this.bucket.tokens)),
      resetAt: new Date(resetAt),
    });
  }
}

export async function startFakeHelpdesk(options: FakeHelpdeskOptions): Promise<FakeHelpdesk> {
  return new FakeHelpdesk(options).listen();
}

function readText(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    incoming.on("error", reject);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === "") return undefined;
  if (contentType?.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  if (contentType?.includes("application/json")) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** A conversation as a test sets it up; each fake maps it onto its own API's fields. */
export interface SeedConversation {
  id: string;
  /** default true; false seeds the provider's ordinary closed state (resolved, archived, closed) */
  open?: boolean;
  team?: string | null;
  tags?: string[];
  customerId?: string | null;
  createdAt?: Date;
}

export interface FakeConversationState {
  open: boolean;
  /** note bodies as received */
  notes: string[];
  /** how many calls moved it to open */
  reopened: number;
}

/** Something that happened in a conversation after closeloop reopened it, as each fake's read endpoints show it. */
export interface FakeActivity {
  kind: "agent_reply" | "customer_reply" | "note" | "closed";
  at: Date;
}

/** A conversation's activity, per conversation id: each fake keeps one and renders it in its own API's shape. */
export class FakeActivities {
  readonly #byConversation = new Map<string, FakeActivity[]>();

  add(id: string, activity: FakeActivity): void {
    this.#byConversation.set(id, [...this.of(id), activity]);
  }

  of(id: string): FakeActivity[] {
    return this.#byConversation.get(id) ?? [];
  }

  /** when the conversation was last closed, if it was */
  closedAt(id: string): Date | undefined {
    return this.of(id).findLast((activity) => activity.kind === "closed")?.at;
  }
}

/** What every provider's fake offers the conformance suite. */
export interface FakeHelpdeskServer {
  readonly provider: ProviderId;
  readonly http: FakeHelpdesk;
  /** the environment that points the provider's client at this fake with valid credentials */
  env(): Record<string, string>;
  seed(conversation: SeedConversation): void;
  conversation(id: string): FakeConversationState | undefined;
  /** records something that happened in a conversation (a reply, a note, a close), shown by its read endpoints */
  happen(id: string, activity: FakeActivity): void;
  close(): Promise<void>;
}

export function basicCredentials(header: string | string[] | undefined): string | undefined {
  if (typeof header !== "string" || !header.startsWith("Basic ")) return undefined;
  return Buffer.from(header.slice("Basic ".length), "base64").toString("utf8");
}

export function bearer(header: string | string[] | undefined): string | undefined {
  if (typeof header !== "string" || !header.startsWith("Bearer ")) return undefined;
  return header.slice("Bearer ".length);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
