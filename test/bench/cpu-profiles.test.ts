import { describe, expect, it } from "vitest";
import { breakdown, describeBreakdown, layerOf, measuredWindows, type CpuProfile } from "../../bench/cpu-profiles.js";

describe("where a profiled frame's code comes from", () => {
  it.each([
    ["file:///srv/closeloop/dist/store/links.js", "recordIssueSource", "src/store"],
    ["file:///srv/closeloop/dist/server.js", "dispatch", "src"],
    ["file:///srv/closeloop/node_modules/pg/lib/client.js", "query", "pg"],
    ["file:///srv/closeloop/node_modules/@prisma/adapter-pg/dist/index.mjs", "queryRaw", "@prisma/adapter-pg"],
    ["file:///srv/closeloop/node_modules/probot/node_modules/pino/pino.js", "LOG", "pino"],
    ["node:internal/streams/writable", "writeOrBuffer", "node"],
    ["", "writev", "(native)"],
    ["", "(garbage collector)", "(garbage collector)"],
    ["", "(idle)", "(idle)"],
  ])("%s (%s) is %s", (url, name, layer) => expect(layerOf(url, name)).toBe(layer));
});

/**
 * (root) → dispatch (ours) → query (pg) → writev (a builtin); (root) → (garbage collector); (root) → (idle). A sample
 * every 1,000 µs from 11,000 to 16,000, then the process stopped for 50 ms, then one more at 66,000.
 */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 5, 6] },
    {
      id: 2,
      callFrame: { functionName: "dispatch", url: "file:///app/dist/server.js", lineNumber: 148 },
      children: [3],
    },
    {
      id: 3,
      callFrame: { functionName: "query", url: "file:///app/node_modules/pg/lib/client.js", lineNumber: 9 },
      children: [4],
    },
    { id: 4, callFrame: { functionName: "writev", url: "", lineNumber: -1 } },
    { id: 5, callFrame: { functionName: "(garbage collector)", url: "", lineNumber: -1 } },
    { id: 6, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
  ],
  startTime: 10_000,
  samples: [2, 4, 4, 5, 6, 2, 3],
  timeDeltas: [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 50_000],
};

describe("a profile's time in the measured windows", () => {
  it("charges a builtin to the package that called it, leaves out idle time, and caps a stopped process's gap", () => {
    // All samples but the first (11,000) are in the window. writev twice (1 ms each) charged to pg, and the query
    // at 66,000 (the last: one interval); GC 1 ms; idle left out; dispatch at 16,000 stands for four intervals at most,
    // not for the stop of 50 ms after it.
    const result = breakdown([PROFILE], [[11_500, 70_000]]);
    expect(Object.fromEntries(result.byLayer)).toEqual({ pg: 3, "(garbage collector)": 1, src: 4 });
    expect(result.ms).toBe(8);
    expect(result.byFunction.get("writev (native):0")).toBe(2);
    expect(result.byFunction.get("query pg:10")).toBe(1);
  });

  it("counts nothing outside the windows", () => {
    expect(breakdown([PROFILE], [[0, 10_999]]).ms).toBe(0);
    expect(
      breakdown(
        [PROFILE],
        [
          [10_500, 11_500],
          [13_500, 14_500],
        ],
      ).byLayer,
    ).toEqual(
      new Map([
        ["src", 1],
        ["(garbage collector)", 1],
      ]),
    );
  });

  it("is told per delivery, with each layer's share", () => {
    const lines = describeBreakdown(breakdown([PROFILE], [[11_500, 70_000]]), 10);
    expect(lines[0]).toMatch(/^0\.80 ms sampled per delivery over 10 deliveries/);
    expect(lines).toContain("   0.300   37.5 %  pg");
  });
});

describe("the windows P8 printed", () => {
  it("reads each round's window and the deliveries they hold", () => {
    const output = [
      "P8 1 process(es) measured from 100 to 200 µs (profile clock), profiles in /tmp/p8prof",
      "P8 3 process(es) measured from 300 to 450 µs (profile clock), profiles in /tmp/p8prof",
      "P8 processing across replicas: 300 stored issue_comment deliveries a round on distinct issues of 1 repository",
    ].join("\n");
    expect(measuredWindows(output)).toEqual({
      windows: [
        [100, 200],
        [300, 450],
      ],
      deliveries: 600,
    });
  });

  it("reads the backfill section's windows, each with its deliveries, and only those that say what was asked", () => {
    const output = [
      "postgresql   closeloop's rounds before the backfill: 1000 deliveries measured from 100 to 200 µs (profile clock), profiles in /tmp/prof",
      "postgresql   closeloop's rounds during the backfill: 1000 deliveries measured from 300 to 450 µs (profile clock), profiles in /tmp/prof",
      "postgresql   closeloop's rounds during the backfill: 500 deliveries measured from 500 to 550 µs (profile clock), profiles in /tmp/prof",
    ].join("\n");
    expect(measuredWindows(output, "during the backfill")).toEqual({
      windows: [
        [300, 450],
        [500, 550],
      ],
      deliveries: 1500,
    });
    expect(measuredWindows(output).deliveries).toBe(2500);
  });

  it("says how to get them when the run was not profiled", () => {
    expect(() => measuredWindows("P8 processing across replicas: 300 stored issue_comment deliveries a round")).toThrow(
      /BENCH_P8_CPU_PROF/,
    );
  });
});
