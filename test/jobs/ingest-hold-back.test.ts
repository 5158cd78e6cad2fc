import { describe, expect, it } from "vitest";
import { IngestHoldBack } from "../../src/jobs/ingest-hold-back.js";
import { waitFor } from "../support/wait.js";

/** An arrivals signal the test drives, counting how often the hold-back looked at it. */
function arrivals(active: boolean) {
  const signal = { active, looks: 0, read: () => (signal.looks++, signal.active) };
  return signal;
}

/** A wait in progress, and whether it has ended. */
function waiting(holdBack: IngestHoldBack, stopped?: () => boolean) {
  const wait = { ended: false, done: Promise.resolve() };
  wait.done = holdBack.wait(stopped).then(() => void (wait.ended = true));
  return wait;
}

describe("holding a background worker back while webhooks arrive", () => {
  it("does not wait without an arrivals signal, nor once the burst is over", async () => {
    await new IngestHoldBack().wait();
    const quiet = arrivals(false);
    await new IngestHoldBack({ ingestActive: quiet.read }).wait();
    expect(quiet.looks).toBe(1);
  });

  it("sees an arrival read in the same turn it was asked to look, and waits until the burst is over", async () => {
    const signal = arrivals(false);
    const wait = waiting(new IngestHoldBack({ ingestActive: signal.read, yieldMs: 1 }));
    // A request read after the worker's timer fired, in the same turn of the event loop: still a burst.
    signal.active = true;
    await waitFor(async () => signal.looks >= 3 || wait.ended, 10_000, "three looks at the arrivals signal");
    expect(wait.ended).toBe(false);
    signal.active = false;
    await wait.done;
  });

  it("runs the worker after the backstop under a never-ending stream, until it sees a quiet moment", async () => {
    const signal = arrivals(true);
    let now = 0;
    const holdBack = new IngestHoldBack({ ingestActive: signal.read, yieldMs: 1, maxHoldMs: 5_000, now: () => now });
    const held = waiting(holdBack);
    await waitFor(async () => signal.looks >= 3 || held.ended, 10_000, "three looks at the arrivals signal");
    now = 4_999;
    const looks = signal.looks;
    await waitFor(async () => signal.looks >= looks + 2, 10_000, "two more looks");
    expect(held.ended).toBe(false);
    now = 5_000;
    await held.done;
    // Still the same stream: the worker keeps running without waiting again.
    await holdBack.wait();
    // A quiet look ends the run; the next burst holds it back again, with a backstop of its own.
    signal.active = false;
    await holdBack.wait();
    signal.active = true;
    let stopped = false;
    const next = waiting(holdBack, () => stopped);
    await waitFor(async () => signal.looks >= looks + 6, 10_000, "the next burst's looks");
    expect(next.ended).toBe(false);
    stopped = true;
    await next.done;
  });
});
