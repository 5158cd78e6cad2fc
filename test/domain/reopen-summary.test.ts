import { describe, expect, it } from "vitest";
import type { FailureCategory } from "../../src/domain/failure-category.js";
import {
  LISTED_FAILURES,
  renderReopenSummary,
  showsDetails,
  summaryMarker,
  type SummaryJob,
} from "../../src/domain/reopen-summary.js";

const names = {
  intercom: "Intercom",
  front: "Front",
  zendesk: "Zendesk",
  helpscout: "Help Scout",
  freshdesk: "Freshdesk",
};
let nextId = 1;
const done = (provider: string, conversationId: string): SummaryJob => ({
  id: nextId++,
  provider,
  conversationId,
  url: `https://example.test/${provider}/${conversationId}`,
  state: "done",
  failure: null,
});
const dead = (provider: string, conversationId: string, failure: FailureCategory, id = nextId++): SummaryJob => ({
  ...done(provider, conversationId),
  id,
  state: "dead",
  failure,
});

describe("renderReopenSummary", () => {
  it("says how many reopened customers an agent answered, in counts only, once any is watched", () => {
    const jobs = [done("zendesk", "4001"), done("zendesk", "4002"), done("front", "cnv_1"), done("front", "cnv_2")];
    const input = { closeId: 9, reason: "completed", names, details: true, jobs };
    const body = renderReopenSummary({ ...input, answers: { answered: 3, waiting: 1, closed: 0 } });
    expect(body).toContain("\n\n3 of 4 customers answered.\n");
    expect(body).not.toMatch(/4001|4002|cnv_/);
    expect(renderReopenSummary({ ...input, answers: { answered: 0, waiting: 4, closed: 0 } })).toBe(
      renderReopenSummary(input),
    );
  });

  it("counts every helpdesk in PROVIDERS order and lists no failures when all were reopened", () => {
    const body = renderReopenSummary({
      closeId: 7,
      reason: "completed",
      names,
      details: true,
      jobs: [done("zendesk", "1"), done("intercom", "2"), done("zendesk", "3")],
    });
    expect(body).toBe(
      [
        "<!-- closeloop:reopen-summary close=7 -->",
        "**closeloop** reopened 3 of 3 linked conversations with an internal note, because this issue was closed as completed.",
        "",
        "| Helpdesk | Reopened | Failed |",
        "|---|---:|---:|",
        "| Intercom | 1 | 0 |",
        "| Zendesk | 2 | 0 |",
        "",
      ].join("\n"),
    );
  });

  const mixed = () => [
    done("front", "cnv_1"),
    dead("zendesk", "4821", "closed ticket", 41),
    dead("front", "cnv_9", "not configured", 40),
  ];

  it("with details, lists each failure with its conversation id and reason category, and says how to retry", () => {
    const body = renderReopenSummary({ closeId: 8, reason: "not_planned", names, details: true, jobs: mixed() });
    expect(body).toContain(
      "reopened 1 of 3 linked conversations with an internal note, because this issue was closed as not planned.",
    );
    expect(body).toContain("| Front | 1 | 1 |\n| Zendesk | 0 | 1 |\n");
    expect(body).toContain(
      [
        "**Not reopened**",
        "- Front conversation [cnv_9](https://example.test/front/cnv_9): not configured (job 40)",
        "- Zendesk conversation [4821](https://example.test/zendesk/4821): closed ticket (job 41)",
        "",
        "Fix the cause, then `closeloop retry <job id>` (or `--dead` for all); this comment is updated.",
      ].join("\n"),
    );
  });

  it("without details, gives the counts only: no conversation id, URL, reason or job id", () => {
    const body = renderReopenSummary({ closeId: 8, reason: "not_planned", names, details: false, jobs: mixed() });
    expect(body).toBe(
      [
        "<!-- closeloop:reopen-summary close=8 -->",
        "**closeloop** reopened 1 of 3 linked conversations with an internal note, because this issue was closed as not planned.",
        "",
        "| Helpdesk | Reopened | Failed |",
        "|---|---:|---:|",
        "| Front | 1 | 1 |",
        "| Zendesk | 0 | 1 |",
        "",
        "The conversations not reopened and why are listed by `closeloop jobs --state dead`. Fix the cause, then `closeloop retry --dead`; this comment is updated.",
        "",
      ].join("\n"),
    );
  });

  it("counts the conversations reopened through a follow-up ticket, per helpdesk, without naming them, details or not", () => {
    const followUp = (conversationId: string): SummaryJob => ({ ...done("zendesk", conversationId), followUp: true });
    const jobs = [
      done("intercom", "1"),
      followUp("4821"),
      done("zendesk", "4822"),
      followUp("4823"),
      dead("zendesk", "4824", "closed ticket"),
    ];
    for (const details of [true, false]) {
      const body = renderReopenSummary({ closeId: 3, reason: "completed", names, details, jobs });
      expect(body).toContain("reopened 4 of 5 linked conversations");
      expect(body).toContain("| Intercom | 1 | 0 |\n| Zendesk | 3 (2 as follow-up tickets) | 1 |");
      expect(body).not.toContain("4821");
      expect(body).not.toContain("4823");
    }
    expect(
      renderReopenSummary({ closeId: 3, reason: "completed", names, details: false, jobs: [followUp("1")] }),
    ).toContain("| Zendesk | 1 (1 as a follow-up ticket) | 0 |");
  });

  it("says 'conversation' for one", () => {
    expect(
      renderReopenSummary({ closeId: 1, reason: "completed", names, details: true, jobs: [done("helpscout", "5")] }),
    ).toContain("reopened 1 of 1 linked conversation with");
  });

  it("starts with the close's marker, so a retry can find a comment it posted", () => {
    expect(
      renderReopenSummary({
        closeId: 12,
        reason: "completed",
        names,
        details: false,
        jobs: [done("intercom", "1")],
      }).startsWith(`${summaryMarker(12)}\n`),
    ).toBe(true);
  });

  it(`lists at most ${LISTED_FAILURES} failures and counts the rest`, () => {
    const jobs = Array.from({ length: LISTED_FAILURES + 3 }, (_, i) => dead("intercom", String(i + 1), "not found"));
    const body = renderReopenSummary({ closeId: 1, reason: "completed", names, details: true, jobs });
    expect(body.match(/^- Intercom conversation/gm)).toHaveLength(LISTED_FAILURES);
    expect(body).toContain("- …and 3 more: `closeloop jobs --state dead`");
  });

  it("uses the provider id when it has no display name", () => {
    expect(
      renderReopenSummary({ closeId: 1, reason: "completed", names: {}, details: true, jobs: [done("zendesk", "1")] }),
    ).toContain("| zendesk | 1 | 0 |");
  });
});

describe("showsDetails: comment.details as recorded at the close, with the repository's latest known visibility", () => {
  it.each([
    ["always", true, true],
    ["always", false, true],
    ["always", null, true],
    ["private", true, true],
    ["private", false, false],
    // Never stated (a row from before visibility was recorded): read as public.
    ["private", null, false],
    ["never", true, false],
    ["never", false, false],
    ["never", null, false],
    // A value closeloop did not write shows nothing.
    ["public", true, false],
  ] as const)("details %s on a repository private=%s: %s", (details, repositoryPrivate, shown) => {
    expect(showsDetails(details, repositoryPrivate)).toBe(shown);
  });
});
