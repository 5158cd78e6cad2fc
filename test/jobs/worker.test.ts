import { afterEach, describe, expect, it, vi } from "vitest";
import pino from "pino";
import { Worker, type WorkerShape } from "../../src/jobs/worker.js";
import { waitFor } from "../support/wait.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Worker: the poll loop, heartbeat and bounded stop every worker composes", () => {
  let events: string[];
  const workers: Worker[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    vi.useRealTimers();
  });

  /** A worker whose log lines and hooks are recorded in order in `events`. */
  function worker(shape: Partial<WorkerShape>): Worker {
    events = [];
    const log = pino({ level: "debug" }, { write: (line: string) => void events.push(`log: ${JSON.parse(line).msg}`) });
    const started = new Worker({ name: "test", log, idleMs: 20, tick: () => Promise.resolve(false), ...shape });
    workers.push(started);
    started.start();
    return started;
  }

  it("stop() waits at most stopTimeoutMs for work that never settles, says so, and still hands back unstarted work", async () => {
    const subject = worker({
      stopping: () => void events.push("stopping"),
      inFlight: () => new Promise(() => {}),
      stopTimeoutMs: 300,
      afterStop: () => {
        events.push("afterStop");
        return Promise.resolve();
      },
    });
    await sleep(50);
    const from = Date.now();
    await subject.stop();
    const took = Date.now() - from;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2_000);
    expect(events).toEqual([
      "stopping",
      "log: test: stopped with work still in flight; its leases expire and another worker takes it over",
      "afterStop",
    ]);
    expect(subject.running).toBe(false);
  }, 5_000);

  it("stop() returns once the work in flight settles, without the warning, and afterStop runs after it", async () => {
    let finish: () => void = () => {};
    const subject = worker({
      inFlight: () =>
        new Promise<void>((resolve) => {
          events.push("waiting for work in flight");
          finish = () => {
            events.push("work in flight done");
            resolve();
          };
        }),
      stopTimeoutMs: 10_000,
      afterStop: () => {
        events.push("afterStop");
        return Promise.resolve();
      },
    });
    const stopped = subject.stop();
    await waitFor(() => Promise.resolve(events.includes("waiting for work in flight")));
    setTimeout(() => finish(), 100);
    const from = Date.now();
    await stopped;
    expect(Date.now() - from).toBeLessThan(2_000);
    expect(events).toEqual(["waiting for work in flight", "work in flight done", "afterStop"]);
  });

  it("a failing afterStop is logged, and stop() still returns", async () => {
    const subject = worker({ afterStop: () => Promise.reject(new Error("database gone")) });
    await subject.stop();
    expect(events).toEqual(["log: test: could not hand back unstarted work; its leases will expire"]);
  });

  it("the heartbeat renews every third of the lease while running, and never after stop()", async () => {
    vi.useFakeTimers();
    let renewals = 0;
    const subject = worker({ heartbeat: { leaseMs: 600, renew: () => Promise.resolve(void renewals++) } });
    await vi.advanceTimersByTimeAsync(199);
    expect(renewals).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(renewals).toBe(1);
    await vi.advanceTimersByTimeAsync(800);
    expect(renewals).toBe(5);
    await subject.stop();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(renewals).toBe(5);
  });

  it("a failing renewal is logged and the heartbeat goes on", async () => {
    let calls = 0;
    worker({
      heartbeat: {
        leaseMs: 300,
        renew: () => (++calls === 1 ? Promise.reject(new Error("database busy")) : Promise.resolve()),
      },
    });
    await waitFor(() => Promise.resolve(calls >= 3), 5_000, "renewals after a failure");
    expect(events).toEqual(["log: test: could not renew leases; trying again"]);
  });

  it("a failing round of work is logged and tried again at the next poll", async () => {
    let rounds = 0;
    worker({
      tick: () => (++rounds === 1 ? Promise.reject(new Error("database busy")) : Promise.resolve(false)),
    });
    await waitFor(() => Promise.resolve(rounds >= 3), 5_000, "rounds after a failure");
    expect(events).toEqual(["log: test: a round of work failed; trying again"]);
  });

  it("stop() lets the round in progress finish before work in flight is waited for", async () => {
    let release: () => void = () => {};
    const subject = worker({
      tick: () => {
        events.push("round started");
        return new Promise((resolve) => (release = () => resolve(false)));
      },
      stopping: () => void events.push("stopping"),
    });
    await waitFor(() => Promise.resolve(events.includes("round started")));
    const stopped = subject.stop();
    await sleep(100);
    expect(events).toEqual(["round started"]);
    release();
    await stopped;
    expect(events).toEqual(["round started", "stopping"]);
  });
});
