import { afterEach, beforeEach } from "vitest";
import pino from "pino";
import type { Engine } from "../../src/config/database-url.js";
import { PROVIDERS, type ProviderId } from "../../src/domain/link.js";
import { HelpdeskWorker, type HelpdeskWorkerOptions } from "../../src/jobs/helpdesk-worker.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";
import { TEST_APP_ID } from "./app.js";
import { freshDatabaseUrl } from "./databases.js";
import { testProbot } from "./github.js";
import { closeWithLinks, conversation, lanesFor, useFakeHelpdesks, type LaneOptions } from "./reopen.js";

// A lease of 10 s, not 2 s: with 1 s calls out of the way, the same runs at load 25-30 still failed now and then on
// a job claimed twice (attempts 2, no timeout): its lease ran out before the heartbeat renewed it. The tests of a lease
// running out set lockedUntil themselves, so none waits for one.
export const FAST: HelpdeskWorkerOptions = { leaseMs: 10_000, idlePollMs: 50, backoffBaseMs: 20, backoffMaxMs: 200 };
// A helpdesk call's timeout, long enough that a loaded machine does not time out a healthy fake: a 300 ms bound did
// under load 5+, and 1 s did under load 19 (four runs of zendesk-closed-tickets.test.ts beside two CPU hogs: the
// first call timed out, so a job expected to take one attempt took two). A fake answers in milliseconds; one that
// takes 10 s is a bug worth failing on.
export const TIMEOUT_MS = 10_000;
// The timeout of a test that makes a fake slow on purpose, so it waits little for each timeout. Such a test must
// tolerate a healthy call timing out too (it retries, or every call is slow).
export const FAULT_TIMEOUT_MS = 1_000;

/**
 * The helpdesk worker's tests' setup (test/jobs/helpdesk-worker/): every fake helpdesk, a fresh database on `engine`
 * before each test, the log lines, and the workers a test started, stopped after it.
 */
export function useHelpdeskWorker(engine: Engine) {
  const fakes = useFakeHelpdesks();
  const workers: HelpdeskWorker[] = [];
  const state = { database: undefined as unknown as Database, logs: [] as string[] };
  const fake = <T extends FakeHelpdeskServer>(provider: ProviderId) => fakes.get(provider)! as T;

  beforeEach(async () => {
    state.database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    state.logs = [];
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await state.database.close();
  });

  function startWorker(
    providers: readonly ProviderId[] = PROVIDERS,
    options: HelpdeskWorkerOptions & LaneOptions = {},
  ): HelpdeskWorker {
    const log = pino({ level: "info" }, { write: (line: string) => void state.logs.push(JSON.parse(line).msg) });
    const probot = testProbot();
    const lanes = lanesFor(
      providers.map((provider) => fake(provider)),
      { timeoutMs: TIMEOUT_MS, ...options },
    );
    const worker = new HelpdeskWorker(
      state.database.prisma,
      state.database.engine,
      lanes,
      (id) => probot.auth(id),
      log,
      {
        ...FAST,
        appId: TEST_APP_ID,
        ...options,
      },
    );
    workers.push(worker);
    worker.start();
    return worker;
  }

  /** Seeds closed conversations in the fakes and a close with one job per conversation. */
  async function close(
    number: number,
    links: ReturnType<typeof conversation>[],
    options: { summary?: boolean; seed?: boolean } = {},
  ) {
    for (const link of links)
      if (options.seed !== false) fake(link.provider).seed({ id: link.conversationId, open: false });
    return closeWithLinks(state.database, number, links, { summary: options.summary ?? false });
  }

  const job = (conversationId: string) =>
    state.database.prisma.reopenJob.findFirstOrThrow({ where: { conversationId } });
  const callsTo = (provider: ProviderId, id: string) =>
    fake(provider)
      .http.requests.filter((request) => request.path.includes(id))
      .map((request) => `${request.method} ${request.answered ?? "reset"}`);

  return { fakes, workers, state, fake, startWorker, close, job, callsTo };
}
