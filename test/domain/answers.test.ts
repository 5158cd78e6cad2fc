import { describe, expect, it } from "vitest";
import {
  answeredLine,
  answerState,
  countAnswers,
  formatAge,
  median,
  nextCheck,
  outcomeOf,
  parseRemindAfter,
  readsDue,
  reminderNote,
  summariseAnswersByClose,
  type WatchState,
} from "../../src/domain/answers.js";

const reopenedAt = new Date("2026-12-01T10:00:00Z");
const at = (hours: number) => new Date(reopenedAt.getTime() + hours * 3_600_000);
const waiting: WatchState = { reopenedAt, outcome: null, outcomeAt: null };

describe("outcomeOf", () => {
  it.each([
    ["an agent's reply after the reopen answers", waiting, [at(2)], null, { outcome: "answered", at: at(2) }],
    ["the first of several replies counts", waiting, [at(5), at(2), at(9)], null, { outcome: "answered", at: at(2) }],
    ["a reply before the reopen is not an answer", waiting, [at(-1)], null, null],
    ["a close after the reopen, no reply: closed", waiting, [], at(3), { outcome: "closed", at: at(3) }],
    ["a close before the reopen says nothing", waiting, [], at(-2), null],
    ["a reply and a close: answered", waiting, [at(4)], at(5), { outcome: "answered", at: at(4) }],
    [
      "a reply older than a recorded close wins (out of order)",
      { reopenedAt, outcome: "closed", outcomeAt: at(5) },
      [at(4)],
      null,
      { outcome: "answered", at: at(4) },
    ],
    [
      "a reply after a recorded close does not",
      { reopenedAt, outcome: "closed", outcomeAt: at(5) },
      [at(6)],
      null,
      null,
    ],
    [
      "an earlier reply replaces a later one",
      { reopenedAt, outcome: "answered", outcomeAt: at(6) },
      [at(3)],
      null,
      { outcome: "answered", at: at(3) },
    ],
    [
      "the same reply again changes nothing",
      { reopenedAt, outcome: "answered", outcomeAt: at(3) },
      [at(3)],
      null,
      null,
    ],
    ["a close after an answer changes nothing", { reopenedAt, outcome: "answered", outcomeAt: at(3) }, [], at(4), null],
  ] as const)("%s", (_, watch, agentReplies, closedAt, expected) => {
    expect(outcomeOf(watch, { agentReplies, closedAt })).toEqual(expected);
  });
});

describe("the reading schedule", () => {
  it.each([
    [0.5, 0],
    [1, 1],
    [23, 1],
    [24, 2],
    [72, 3],
    [500, 3],
  ])("%s h after the reopen, %s read(s) are due", (hours, due) => {
    expect(readsDue(reopenedAt, at(hours))).toBe(due);
  });

  const watch = { ...waiting, reads: 0, remindAt: null, remindedAt: null };
  it.each([
    ["first read at 1 h", watch, true, at(1)],
    ["second at 24 h", { ...watch, reads: 1 }, true, at(24)],
    ["third at 72 h", { ...watch, reads: 2 }, true, at(72)],
    ["none after three", { ...watch, reads: 3 }, true, null],
    ["no reads where webhooks tell", watch, false, null],
    ["the reminder when it comes first", { ...watch, reads: 1, remindAt: at(12) }, true, at(12)],
    ["the reminder alone where webhooks tell", { ...watch, remindAt: at(24) }, false, at(24)],
    ["not a sent reminder", { ...watch, reads: 3, remindAt: at(24), remindedAt: at(24) }, true, null],
    ["nothing once answered", { ...watch, outcome: "answered", outcomeAt: at(2), remindAt: at(24) }, true, null],
  ] as const)("%s", (_, state, reads, expected) => {
    expect(nextCheck(state, { reads })).toEqual(expected);
  });
});

describe("the reminder", () => {
  it.each([
    [59 * 60_000, "59 minutes"],
    [60_000, "1 minute"],
    [3 * 3_600_000, "3 hours"],
    [47 * 3_600_000, "47 hours"],
    [49 * 3_600_000, "2 days"],
    [24 * 86_400_000, "24 days"],
  ])("%s ms reads as %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });

  it("names the issue and the age, and nothing of the customer", () => {
    expect(reminderNote("https://github.com/octo-org/app/issues/42", 26 * 3_600_000)).toBe(
      "Still waiting: the fix for https://github.com/octo-org/app/issues/42 shipped 26 hours ago. No agent has answered the customer since closeloop reopened this conversation.",
    );
  });

  it.each([
    ["off", null],
    ["24h", 86_400],
    ["10m", 600],
    ["90d", 7_776_000],
    ["9m", { error: "must be at least 10 minutes" }],
    ["91d", { error: "must be at most 90 days" }],
    ["1w", { error: 'must be "off" or a duration such as "90m", "24h" or "3d"' }],
    ["", { error: 'must be "off" or a duration such as "90m", "24h" or "3d"' }],
  ])("remind_after %j is %j", (value, expected) => {
    expect(parseRemindAfter(value)).toEqual(expected);
  });
});

describe("counts", () => {
  it("counts by outcome and says so in the summary's words", () => {
    const counts = countAnswers([
      { outcome: "answered" },
      { outcome: null },
      { outcome: "answered" },
      { outcome: "answered" },
    ]);
    expect(counts).toEqual({ answered: 3, waiting: 1, closed: 0 });
    expect(answeredLine(counts)).toBe("3 of 4 customers answered.");
    expect(answeredLine({ answered: 0, waiting: 0, closed: 1 })).toBe(
      "0 of 1 customer answered; 1 closed without an answer.",
    );
  });

  it.each([
    [[], null],
    [[5], 5],
    [[9, 1, 5], 5],
    [[4, 1, 3, 2], 2.5],
  ])("median of %j is %j", (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe("each conversation's answer state (the issue page)", () => {
  const now = at(50);
  it.each([
    ["answered after 3 hours", { outcome: "answered", outcomeAt: at(3), reminded: false }, "answered", 3 * 3600, false],
    [
      "closed without an answer after 5 hours",
      { outcome: "closed", outcomeAt: at(5), reminded: false },
      "closed",
      5 * 3600,
      false,
    ],
    ["waiting since the reopen", { outcome: null, outcomeAt: null, reminded: false }, "waiting", 50 * 3600, false],
    ["waiting, reminded", { outcome: null, outcomeAt: null, reminded: true }, "waiting", 50 * 3600, true],
    [
      "answered after the reminder",
      { outcome: "answered", outcomeAt: at(30), reminded: true },
      "answered",
      30 * 3600,
      true,
    ],
    [
      "a helpdesk clock behind ours: never negative",
      { outcome: "answered", outcomeAt: at(-0.01), reminded: false },
      "answered",
      0,
      false,
    ],
  ] as const)("%s", (_name, watch, state, seconds, reminded) => {
    expect(answerState({ reopenedAt, ...watch }, now)).toEqual({ state, seconds, reminded });
  });
});

describe("a close's answers (the Closed view)", () => {
  const now = at(100);
  const watch = (
    closeId: number,
    id: string,
    outcome: "answered" | "closed" | null,
    hours: number | null,
    reopenedHoursAgo = 100,
  ) => ({
    closeId,
    id,
    reopenedAt: new Date(now.getTime() - reopenedHoursAgo * 3_600_000),
    outcome,
    outcomeAt: hours === null ? null : new Date(now.getTime() - (reopenedHoursAgo - hours) * 3_600_000),
    reminded: false,
  });

  it.each([
    ["no watch: no close in the map", [], new Map()],
    [
      "one answered: its time is the median",
      [watch(1, "a", "answered", 2)],
      new Map([[1, { counts: { answered: 1, waiting: 0, closed: 0 }, medianSeconds: 7200, waiting: [] }]]),
    ],
    [
      "an even count: the mean of the middle two; a close without an answer is not an answer",
      [
        watch(1, "a", "answered", 1),
        watch(1, "b", "answered", 4),
        watch(1, "c", "closed", 0.5),
        watch(1, "d", "answered", 2),
        watch(1, "e", "answered", 9),
      ],
      new Map([[1, { counts: { answered: 4, waiting: 0, closed: 1 }, medianSeconds: 3 * 3600, waiting: [] }]]),
    ],
    [
      "none answered: no median; the waiting, longest first, with how long",
      [watch(2, "x", null, null, 3), watch(2, "y", "closed", 1), watch(2, "z", null, null, 30)],
      new Map([
        [
          2,
          {
            counts: { answered: 0, waiting: 2, closed: 1 },
            medianSeconds: null,
            waiting: [
              { ...watch(2, "z", null, null, 30), waitingSeconds: 30 * 3600 },
              { ...watch(2, "x", null, null, 3), waitingSeconds: 3 * 3600 },
            ],
          },
        ],
      ]),
    ],
    [
      "grouped by close",
      [watch(1, "a", "answered", 1), watch(3, "b", null, null, 1), watch(1, "c", "answered", 3)],
      new Map([
        [1, { counts: { answered: 2, waiting: 0, closed: 0 }, medianSeconds: 2 * 3600, waiting: [] }],
        [
          3,
          {
            counts: { answered: 0, waiting: 1, closed: 0 },
            medianSeconds: null,
            waiting: [{ ...watch(3, "b", null, null, 1), waitingSeconds: 3600 }],
          },
        ],
      ]),
    ],
  ] as const)("%s", (_name, watches, expected) => {
    expect(summariseAnswersByClose(watches, now)).toEqual(expected);
  });
});
