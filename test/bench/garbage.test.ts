import { describe, expect, it } from "vitest";
import { collectGarbage } from "../../bench/garbage.js";

// P8 collects the bench's garbage before each round, so that V8 does not collect it during the round, on the CPU that
// P8 counts as the delaying proxies'. Where Node stops giving `gc` this way, P8 says so rather than the test passing.
describe("collectGarbage", () => {
  it("collects what is no longer referenced, now", () => {
    const held: { objects?: object[] } = { objects: Array.from({ length: 500_000 }, (_, i) => ({ i })) };
    const before = process.memoryUsage().heapUsed;
    expect(held.objects).toHaveLength(500_000);
    delete held.objects;
    expect(collectGarbage()).toBe(true);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 10_000_000);
  });
});
