import { describe, expect, it } from "vitest";
import { reopenOutlook, type ReopenFacts, type ReopenRules } from "../../src/domain/reopen-outlook.js";

const DEFAULTS: ReopenRules = { on: ["completed", "not_planned"], by: "triage" };
const OPEN: ReopenFacts = { issueState: "open", close: null, job: null };
const closedAt = new Date("2026-12-01T10:00:00Z");
const closed = (close: Partial<NonNullable<ReopenFacts["close"]>>, job: ReopenFacts["job"] = null): ReopenFacts => ({
  issueState: "closed",
  close: { closedAt, reason: "completed", reopen: true, refusal: null, ...close },
  job,
});
const HELP_SCOUT = { name: "Help Scout", canReopen: true };

describe("reopenOutlook", () => {
  it.each<[string, ReopenFacts, ReopenRules, { name: string; canReopen: boolean }, string, string]>([
    [
      "defaults: completed or not planned, by triage or more",
      OPEN,
      DEFAULTS,
      HELP_SCOUT,
      "on-close",
      "Closing this issue as completed or not planned will reopen this conversation, if whoever closes it has triage permission or more. Closing as duplicate will not.",
    ],
    [
      "reopen.by read: anyone who can close",
      OPEN,
      { on: ["completed"], by: "read" },
      HELP_SCOUT,
      "on-close",
      "Closing this issue as completed will reopen this conversation. Closing as not planned or duplicate will not.",
    ],
    [
      "every reason, by admin",
      OPEN,
      { on: ["duplicate", "completed", "not_planned"], by: "admin" },
      HELP_SCOUT,
      "on-close",
      "Closing this issue as completed, not planned, duplicate will reopen this conversation, if whoever closes it has admin permission or more.",
    ],
    [
      "reopen.on empty",
      OPEN,
      { on: [], by: "triage" },
      HELP_SCOUT,
      "never",
      "Closing this issue will not reopen this conversation: reopen.on is empty.",
    ],
    [
      "the helpdesk has no API credentials (the sidebar needs none)",
      OPEN,
      DEFAULTS,
      { name: "Help Scout", canReopen: false },
      "never",
      "Closing this issue will not reopen this conversation: closeloop has no Help Scout API credentials.",
    ],
    [
      "reopened",
      closed({}, { state: "done", lastError: null }),
      DEFAULTS,
      HELP_SCOUT,
      "done",
      "Reopened this conversation when the issue closed (2026-12-01).",
    ],
    [
      "reopen queued",
      closed({}, { state: "pending", lastError: null }),
      DEFAULTS,
      HELP_SCOUT,
      "pending",
      "Reopening this conversation: the issue closed on 2026-12-01.",
    ],
    [
      "reopen running",
      closed({}, { state: "running", lastError: null }),
      DEFAULTS,
      HELP_SCOUT,
      "running",
      "Reopening this conversation: the issue closed on 2026-12-01.",
    ],
    [
      "reopen failed for good",
      closed({}, { state: "dead", lastError: "Help Scout answered 404: no such conversation" }),
      DEFAULTS,
      HELP_SCOUT,
      "dead",
      "Reopening this conversation failed: Help Scout answered 404: no such conversation.",
    ],
    [
      "closed as a reason reopen.on does not list",
      closed({ reason: "not_planned", reopen: false }),
      DEFAULTS,
      HELP_SCOUT,
      "none",
      "Not reopened: the issue closed as not planned, which reopen.on does not list.",
    ],
    [
      "closed by someone without reopen.by",
      closed({
        reopen: false,
        refusal: "closed by drive-by, whose permission on the repository is read, less than reopen.by (triage)",
      }),
      DEFAULTS,
      HELP_SCOUT,
      "none",
      "Not reopened: closed by drive-by, whose permission on the repository is read, less than reopen.by (triage).",
    ],
    [
      "linked after the close",
      closed({}),
      DEFAULTS,
      HELP_SCOUT,
      "none",
      "Not reopened: it was linked after the issue closed.",
    ],
    [
      "closed with no close closeloop saw",
      { issueState: "closed", close: null, job: null },
      DEFAULTS,
      HELP_SCOUT,
      "never",
      "The issue closed before closeloop saw it close: this conversation was not reopened.",
    ],
    [
      "reopened on GitHub after a close: the rules apply again",
      { issueState: "open", close: { closedAt, reason: "completed", reopen: true, refusal: null }, job: null },
      { on: ["not_planned"], by: "write" },
      HELP_SCOUT,
      "on-close",
      "Closing this issue as not planned will reopen this conversation, if whoever closes it has write permission or more. Closing as completed or duplicate will not.",
    ],
  ])("%s", (_, facts, rules, helpdesk, state, text) => {
    expect(reopenOutlook(facts, rules, helpdesk)).toMatchObject({ state, text });
  });
});
