import { describe, expect, it } from "vitest";
import { hourly } from "../../src/jobs/hourly.js";

describe("hourly", () => {
  it("runs the chore on the first ask, then not again until an hour has passed since it ran", async () => {
    let clock = 1_000;
    const ran: number[] = [];
    const purge = hourly(
      async (now) => void ran.push(now.getTime()),
      () => clock,
    );
    await purge();
    clock += 59 * 60_000;
    await purge();
    clock += 60_000;
    await purge();
    await purge();
    expect(ran).toEqual([1_000, 1_000 + 60 * 60_000]);
  });

  it("passes a failed chore on, and counts it as run", async () => {
    let clock = 0;
    let calls = 0;
    const purge = hourly(
      async () => {
        calls++;
        throw new Error("database is locked");
      },
      () => clock,
    );
    await expect(purge()).rejects.toThrow("database is locked");
    await purge();
    clock = 60 * 60_000;
    await expect(purge()).rejects.toThrow("database is locked");
    expect(calls).toBe(2);
  });
});
