import { describe, expect, it } from "vitest";
import type { RecognisedLink } from "../../src/domain/link.js";
import {
  eventVersions,
  issueState,
  planLink,
  sourceMentions,
  type IssueMention,
  type SourceVersion,
} from "../../src/domain/mentions.js";

const t = (hhmm: string) => new Date(`2026-11-20T${hhmm}:00Z`);
const link = (id: string): RecognisedLink => ({
  provider: "zendesk",
  account: "acme",
  conversationId: id,
  url: `https://acme.zendesk.com/agent/tickets/${id}`,
});
const v = (at: string, action: SourceVersion["action"], ids: string[], previous?: string[]): SourceVersion => ({
  at: t(at),
  action,
  links: ids.map(link),
  previous: previous?.map(link) ?? null,
});
const show = (versions: SourceVersion[], createdAt = "10:00") =>
  sourceMentions(versions, t(createdAt)).map(
    (m) =>
      `${m.link.conversationId} ${m.start.toISOString().slice(11, 16)}-${m.end?.toISOString().slice(11, 16) ?? "now"}`,
  );

describe("sourceMentions: what a source mentioned when, from its versions in any order", () => {
  const table: [string, SourceVersion[], string[]][] = [
    ["a new comment", [v("10:00", "created", ["1", "2"])], ["1 10:00-now", "2 10:00-now"]],
    [
      "an edit removes one and adds one",
      [v("10:00", "created", ["1"]), v("11:00", "edited", ["2"], ["1"])],
      ["1 10:00-11:00", "2 11:00-now"],
    ],
    [
      "the same, edit seen first",
      [v("11:00", "edited", ["2"], ["1"]), v("10:00", "created", ["1"])],
      ["1 10:00-11:00", "2 11:00-now"],
    ],
    [
      "an edit alone dates its previous text from the creation",
      [v("11:00", "edited", ["2"], ["1"])],
      ["1 10:00-11:00", "2 11:00-now"],
    ],
    [
      "an edit alone, with an older version known, from that version",
      [v("10:30", "edited", [], []), v("11:00", "edited", [], ["1"])],
      ["1 10:30-11:00"],
    ],
    [
      "a link kept across edits is one mention",
      [v("10:00", "created", ["1"]), v("11:00", "edited", ["1", "2"], ["1"]), v("12:00", "edited", ["1"], ["1", "2"])],
      ["1 10:00-now", "2 11:00-12:00"],
    ],
    [
      "removed and posted again: two mentions",
      [v("10:00", "created", ["1"]), v("11:00", "edited", [], ["1"]), v("12:00", "edited", ["1"], [])],
      ["1 10:00-11:00", "1 12:00-now"],
    ],
    ["a delete ends every mention", [v("10:00", "created", ["1"]), v("13:00", "deleted", [])], ["1 10:00-13:00"]],
    [
      "a delete seen first, then its creation",
      [v("13:00", "deleted", []), v("10:00", "created", ["1"])],
      ["1 10:00-13:00"],
    ],
    [
      "a delete timed before the last version ends it there",
      [v("09:00", "deleted", []), v("10:00", "created", ["1"])],
      ["1 10:00-10:00"],
    ],
    [
      "a delete in the same second still counts that second",
      [v("10:00", "created", ["1"]), v("10:00", "deleted", [])],
      ["1 10:00-10:00"],
    ],
    [
      "an edit in the same second as its creation holds",
      [v("10:00", "created", ["1"]), v("10:00", "edited", ["2"], ["1"])],
      ["1 10:00-10:00", "2 10:00-now"],
    ],
    ["the same version twice", [v("10:00", "created", ["1"]), v("10:00", "created", ["1"])], ["1 10:00-now"]],
  ];
  it.each(table)("%s", (_, versions, expected) => {
    expect(show(versions)).toEqual(expected);
  });
});

describe("planLink: a conversation's link and reopens from its mentions and the issue's closes", () => {
  const m = (start: string, end: string | null, sourceId = 1, kind = "comment"): IssueMention => ({
    sourceId,
    kind,
    start: t(start),
    end: end === null ? null : t(end),
  });
  const close = (id: number, at: string, reopen = true) => ({ id, closedAt: t(at), reopen });
  const table: [
    string,
    IssueMention[],
    ReturnType<typeof close>[],
    { exists: boolean; linkedAt?: string; reopenedBy: number[]; carriers?: number },
  ][] = [
    [
      "mentioned now, no close",
      [m("10:00", null)],
      [],
      { exists: true, linkedAt: "10:00", reopenedBy: [], carriers: 1 },
    ],
    [
      "mentioned before a close: reopened by it",
      [m("10:00", null)],
      [close(1, "12:00")],
      { exists: true, linkedAt: "10:00", reopenedBy: [1], carriers: 1 },
    ],
    [
      "posted after the close: not reopened by it",
      [m("12:01", null)],
      [close(1, "12:00")],
      { exists: true, linkedAt: "12:01", reopenedBy: [] },
    ],
    [
      "posted in the close's second: reopened (ties reopen)",
      [m("12:00", null)],
      [close(1, "12:00")],
      { exists: true, reopenedBy: [1] },
    ],
    [
      "removed before the close: gone, nothing reopened",
      [m("10:00", "11:00")],
      [close(1, "12:00")],
      { exists: false, reopenedBy: [] },
    ],
    [
      "removed after the close: kept as its history",
      [m("10:00", "13:00")],
      [close(1, "12:00")],
      { exists: true, linkedAt: "10:00", reopenedBy: [1], carriers: 0 },
    ],
    [
      "removed in the close's second: kept",
      [m("10:00", "12:00")],
      [close(1, "12:00")],
      { exists: true, reopenedBy: [1] },
    ],
    [
      "a close whose reason does not reopen keeps history, reopens nothing",
      [m("10:00", "13:00")],
      [close(1, "12:00", false)],
      { exists: true, reopenedBy: [] },
    ],
    [
      "closed, reopened, closed again: both closes",
      [m("10:00", null)],
      [close(1, "12:00"), close(2, "14:00")],
      { exists: true, reopenedBy: [1, 2] },
    ],
    [
      "a forgotten stretch does not date the link",
      [m("08:00", "09:00"), m("10:00", null)],
      [],
      { exists: true, linkedAt: "10:00", reopenedBy: [] },
    ],
    [
      "overlapping sources date it by the first",
      [m("08:00", "11:00", 1), m("10:00", null, 2)],
      [],
      { exists: true, linkedAt: "08:00", reopenedBy: [], carriers: 1 },
    ],
    [
      "a stretch with a close in it still dates the link",
      [m("08:00", "09:00"), m("10:00", null)],
      [close(1, "08:30")],
      { exists: true, linkedAt: "08:00", reopenedBy: [1] },
    ],
  ];
  it.each(table)("%s", (_, mentions, closes, expected) => {
    const plan = planLink(mentions, closes)!;
    expect(plan.exists).toBe(expected.exists);
    expect(plan.reopenedBy).toEqual(expected.reopenedBy);
    if (expected.linkedAt) expect(plan.linkedAt).toEqual(t(expected.linkedAt));
    if (expected.carriers !== undefined) expect(plan.carriers).toHaveLength(expected.carriers);
  });

  it("has no plan without mentions", () => {
    expect(planLink([], [close(1, "12:00")])).toBeNull();
  });
});

describe("issueState: GitHub's times decide, not processing order", () => {
  const table: [string, { closedAt: Date; reason: string }[], Date | null, string | null][] = [
    ["nothing seen", [], null, null],
    ["closed", [{ closedAt: t("12:00"), reason: "completed" }], null, "closed completed"],
    ["closed then reopened", [{ closedAt: t("12:00"), reason: "completed" }], t("13:00"), "open"],
    [
      "reopened, then closed again",
      [
        { closedAt: t("12:00"), reason: "completed" },
        { closedAt: t("14:00"), reason: "not_planned" },
      ],
      t("13:00"),
      "closed not_planned",
    ],
    ["a reopen in the close's second follows it", [{ closedAt: t("12:00"), reason: "completed" }], t("12:00"), "open"],
    ["only a reopen", [], t("12:00"), "open"],
  ];
  it.each(table)("%s", (_, closes, reopenedAt, expected) => {
    const state = issueState({ closes, reopenedAt });
    expect(state === null ? null : [state.state, state.stateReason].filter(Boolean).join(" ")).toBe(expected);
  });
});

describe("eventVersions", () => {
  it("turns a delete into its last text and the delete, at the latest time the payload shows", () => {
    expect(
      eventVersions({ action: "deleted", version: t("10:00"), at: t("12:00") }, [link("1")], undefined, t("23:00")),
    ).toEqual([
      { at: t("10:00"), action: "edited", links: [link("1")] },
      { at: t("12:00"), action: "deleted", links: [] },
    ]);
  });
  it("dates a delete without a time by now", () => {
    expect(eventVersions({ action: "deleted" }, [], undefined, t("23:00"))).toEqual([
      { at: t("23:00"), action: "deleted", links: [] },
    ]);
  });
  it("keeps an edit's previous links", () => {
    expect(eventVersions({ action: "edited", version: t("11:00") }, [link("2")], [link("1")], t("23:00"))).toEqual([
      { at: t("11:00"), action: "edited", links: [link("2")], previous: [link("1")] },
    ]);
  });
});
