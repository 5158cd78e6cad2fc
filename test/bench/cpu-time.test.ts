import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuSeconds } from "../../bench/cpu-time.js";

// The benches divide a process's CPU by a round of 100 deliveries (P8's warm-up): /proc's ticks of 10 ms would be
// 0.1 ms a delivery off, as much as a round's change.
describe("a process's CPU time as the benches read it", () => {
  it.runIf(existsSync(`/proc/${process.pid}/task`))("counts a few milliseconds, finer than the kernel's ticks", () => {
    const before = cpuSeconds([process.pid])!;
    const started = performance.now();
    while (performance.now() - started < 3);
    const spent = cpuSeconds([process.pid])! - before;
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThan(0.01);
  });

  it("is null for a process that is not there, and leaves out one that ended among several", () => {
    expect(cpuSeconds([2 ** 22 + 1])).toBeNull();
    expect(cpuSeconds([process.pid, 2 ** 22 + 1])).toBeGreaterThan(0);
  });
});
