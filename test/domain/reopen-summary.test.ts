import { describe, expect, it } from "vitest";
import { LISTED_FAILURES, maskReason, renderReopenSummary, summaryMarker, type SummaryJob } from "../../src/domain/reopen-summary.js";

const names = { intercom: "Intercom", front: "Front", zendesk: "Zendesk", helpscout: "Help Scout", freshdesk: "Freshdesk" };
let nextId = 1;
const done = (provider: string, conversationId: string): SummaryJob => ({ id: nextId++, provider, conversationId, url: `https://example.test/${provider}/${conversationId}`, state: "done", reason: null });
const dead = (provider: string, conversationId: string, reason: string, id = nextId++): SummaryJob => ({ ...done(provider, conversationId), id, state: "dead", reason });

describe("renderReopenSummary", () => {
  it("counts every helpdesk in PROVIDERS order and lists no failures when all were reopened", () => {
    const body = renderReopenSummary({ closeId: 7, reason: "completed", names, jobs: [done("zendesk", "1"), done("intercom", "2"), done("zendesk", "3")] });
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

  it("lists each failure with its conversation id and reason, and says how to retry", () => {
    const body = renderReopenSummary({
      closeId: 8,
      reason: "not_planned",
      names,
      jobs: [done("front", "cnv_1"), dead("zendesk", "4821", "Zendesk: ticket 4821 is closed; closed tickets cannot be reopened", 41), dead("front", "cnv_9", "Front: provider not configured", 40)],
    });
    expect(body).toContain("reopened 1 of 3 linked conversations with an internal note, because this issue was closed as not planned.");
    expect(body).toContain("| Front | 1 | 1 |\n| Zendesk | 0 | 1 |\n");
    expect(body).toContain(
      [
        "**Not reopened**",
        "- Front conversation [cnv_9](https://example.test/front/cnv_9): `Front: provider not configured` (job 40)",
        "- Zendesk conversation [4821](https://example.test/zendesk/4821): `Zendesk: ticket 4821 is closed; closed tickets cannot be reopened` (job 41)",
        "",
        "Fix the cause, then `npx closeloop retry <job id>` (or `--dead` for all); this comment is updated.",
      ].join("\n"),
    );
  });

  it("says 'conversation' for one", () => {
    expect(renderReopenSummary({ closeId: 1, reason: "completed", names, jobs: [done("helpscout", "5")] })).toContain("reopened 1 of 1 linked conversation with");
  });

  it("starts with the close's marker, so a retry can find a comment it posted", () => {
    expect(renderReopenSummary({ closeId: 12, reason: "completed", names, jobs: [done("intercom", "1")] }).startsWith(`${summaryMarker(12)}\n`)).toBe(true);
  });

  it(`lists at most ${LISTED_FAILURES} failures and counts the rest`, () => {
    const jobs = Array.from({ length: LISTED_FAILURES + 3 }, (_, i) => dead("intercom", String(i + 1), "Intercom: conversation not found (404)"));
    const body = renderReopenSummary({ closeId: 1, reason: "completed", names, jobs });
    expect(body.match(/^- Intercom conversation/gm)).toHaveLength(LISTED_FAILURES);
    expect(body).toContain("- …and 3 more: `npx closeloop jobs --state dead`");
  });

  it("uses the provider id when it has no display name", () => {
    expect(renderReopenSummary({ closeId: 1, reason: "completed", names: {}, jobs: [done("zendesk", "1")] })).toContain("| zendesk | 1 | 0 |");
  });
});

describe("maskReason: a helpdesk's error text never carries customer data or markdown into GitHub", () => {
  it.each([
    ["Zendesk: request rejected (422): Requester jane.doe@example.com is suspended", "Zendesk: request rejected (422): Requester [email] is suspended"],
    ["Front: forbidden (403): <a@b.co>", "Front: forbidden (403): <[email]>"],
    ["line one\n\nline   two", "line one line two"],
    ["@octocat please look", "@octocat please look"],
    ["x".repeat(250), `${"x".repeat(200)}…`],
  ])("%j → %j", (reason, masked) => {
    expect(maskReason(reason)).toBe(masked);
  });

  it("sets reasons in code spans without backticks, so mentions, issue references and markdown stay inert", () => {
    const body = renderReopenSummary({ closeId: 1, reason: "completed", names, jobs: [dead("intercom", "1", "ping @octocat about #12 `rm` **now** with jane@example.com")] });
    expect(body).toContain("`ping @octocat about #12 'rm' **now** with [email]` (job");
  });
});
