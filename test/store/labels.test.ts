import { beforeEach, describe, expect, it } from "vitest";
import { statusCommand } from "../../src/cli/status-command.js";
import type { Output } from "../../src/cli/output.js";
import {
  parseTags,
  labelInputsKey,
  readLabelInputs,
  readLabelInputsOf,
  recordIssueLabels,
  recordLabelError,
  recordLabelEvent,
  type LabelEvent,
} from "../../src/store/labels.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { ENGINES } from "../support/databases.js";
import { useDatabase } from "../support/use-database.js";

const repository = { id: 10n, installationId: 1n, owner: "Octo-Org", name: "App" };
const issue = { repository, number: 42, githubId: 900n, state: "open" as const };
const t = (minute: number) => new Date(Date.UTC(2026, 11, 31, 12, minute));
const WEEKLY = "reported: weekly";

describe("parseTags", () => {
  it.each([
    [null, []],
    ['["a","b"]', ["a", "b"]],
    ['["a",1,null,"b"]', ["a", "b"]],
    ['{"a":1}', []],
    ["not json", []],
  ] as const)("%s", (stored, expected) => {
    expect(parseTags(stored)).toEqual(expected);
  });
});

describe.each(ENGINES)("label records on %s", (engine) => {
  const database = useDatabase(engine);
  const event = (minute: number, present: boolean, byPerson: boolean, name = WEEKLY): LabelEvent => ({
    repositoryId: 10n,
    number: 42,
    name,
    present,
    at: t(minute),
    byPerson,
  });
  const row = async () => {
    const found = await database.prisma.issueLabel.findFirst();
    return (
      found && { present: found.present, applied: found.applied, suppressed: found.suppressed, seenAt: found.seenAt }
    );
  };

  beforeEach(async () => {
    await applySourceChange(database, {
      issue,
      source: { kind: "comment", key: "1" },
      event: { action: "created", version: t(0) },
      createdAt: t(0),
      links: [
        { provider: "zendesk", account: "acme", conversationId: "1", url: "https://acme.zendesk.com/agent/tickets/1" },
      ],
    });
  });
  const added = async (minute: number) => {
    const { issueId } = (await readLabelInputs(database.prisma, 10n, 42))!;
    await recordIssueLabels(database.prisma, issueId, [{ name: WEEKLY, present: true, at: t(minute), applied: true }]);
  };

  it("reads the live links as reports and teams", async () => {
    await database.prisma.link.updateMany({ data: { team: "Billing", tags: '["vip"]', customerHash: "h1" } });
    const inputs = await readLabelInputs(database.prisma, 10n, 42);
    expect(inputs).toMatchObject({
      reports: [{ at: t(0), customer: "h1" }],
      conversations: [{ team: "Billing", tags: ["vip"] }],
      labels: [],
      labelError: null,
      frequency: null,
    });
    expect(await readLabelInputs(database.prisma, 10n, 43)).toBeNull();
  });

  it("reads several issues' inputs in one go, each as read alone; an issue without a row is absent", async () => {
    await applySourceChange(database, {
      issue: { ...issue, number: 43, githubId: 901n },
      source: { kind: "comment", key: "2" },
      event: { action: "created", version: t(1) },
      createdAt: t(1),
      links: [2, 3].map((id) => ({
        provider: "zendesk",
        account: "acme",
        conversationId: String(id),
        url: `https://acme.zendesk.com/agent/tickets/${id}`,
      })),
    });
    await added(2);
    await recordLabelError(database.prisma, 10n, "GitHub answered 403: no", t(3));
    const read = await readLabelInputsOf(database.prisma, [
      { repositoryId: 10n, number: 42 },
      { repositoryId: 10n, number: 43 },
      { repositoryId: 10n, number: 44 },
    ]);
    expect([...read.keys()].sort()).toEqual([labelInputsKey(10n, 42), labelInputsKey(10n, 43)]);
    expect(read.get(labelInputsKey(10n, 42))).toEqual(await readLabelInputs(database.prisma, 10n, 42));
    expect(read.get(labelInputsKey(10n, 43))).toEqual(await readLabelInputs(database.prisma, 10n, 43));
    expect(read.get(labelInputsKey(10n, 42))).toMatchObject({ reports: [{ at: t(0) }], labels: [{ name: WEEKLY }] });
    expect(read.get(labelInputsKey(10n, 43))).toMatchObject({
      reports: [{ at: t(1) }, { at: t(1) }],
      labels: [],
      labelError: { message: "GitHub answered 403: no", at: t(3) },
    });
  });

  it("a person's removal suppresses a label closeloop added; adding it back lifts that and closeloop manages it again", async () => {
    await added(1);
    expect(await recordLabelEvent(database.prisma, event(2, false, true))).toBe("suppressed");
    expect(await row()).toEqual({ present: false, applied: true, suppressed: true, seenAt: t(2) });
    expect(await recordLabelEvent(database.prisma, event(3, true, true))).toBe("released");
    expect(await row()).toEqual({ present: true, applied: true, suppressed: false, seenAt: t(3) });
  });

  it("an older person's event delivered late changes nothing", async () => {
    await added(1);
    await recordLabelEvent(database.prisma, event(5, false, true));
    expect(await recordLabelEvent(database.prisma, event(4, true, true))).toBe("ignored");
    expect(await row()).toMatchObject({ present: false, suppressed: true });
  });

  it("suppresses even when closeloop's own write looks newer (a person's actions are ordered by GitHub's clock)", async () => {
    await added(10);
    expect(await recordLabelEvent(database.prisma, event(9, false, true))).toBe("suppressed");
    // presence stays with the newer knowledge; the suppression is what matters
    expect(await row()).toEqual({ present: true, applied: true, suppressed: true, seenAt: t(10) });
  });

  it("a bot's removal updates presence but does not suppress; an event at the same second wins", async () => {
    await added(1);
    expect(await recordLabelEvent(database.prisma, event(1, false, false))).toBe("recorded");
    expect(await row()).toEqual({ present: false, applied: true, suppressed: false, seenAt: t(1) });
  });

  it("ignores bot events for labels it has no row for, and every event on issues it does not know", async () => {
    expect(await recordLabelEvent(database.prisma, event(1, true, false, "bug"))).toBe("ignored");
    expect(await recordLabelEvent(database.prisma, { ...event(1, false, true), number: 7 })).toBe("unknown-issue");
    expect(await database.prisma.issueLabel.count()).toBe(0);
  });

  it("records a person removing a label closeloop never added (in case it would derive it later)", async () => {
    expect(await recordLabelEvent(database.prisma, event(1, false, true, "team: billing"))).toBe("recorded");
    expect(await row()).toMatchObject({ present: false, applied: false, suppressed: true });
  });

  it("closeloop status lists repositories that refuse label writes", async () => {
    await recordLabelError(database.prisma, 10n, "GitHub answered 403: Resource not accessible by integration", t(5));
    const lines: string[] = [];
    let json: unknown;
    const out: Output = {
      line: (text) => lines.push(text),
      table: () => {},
      json: (value) => (json = value),
      text: () => {},
    };
    await statusCommand(database, true, out, {});
    expect((json as { labelErrors: unknown }).labelErrors).toEqual([
      {
        repository: "Octo-Org/App",
        message: "GitHub answered 403: Resource not accessible by integration",
        seenAt: t(5).toISOString(),
      },
    ]);
    await statusCommand(database, false, out, {});
    expect(lines).toContain(
      `labels      Octo-Org/App: cannot write labels: GitHub answered 403: Resource not accessible by integration (seen ${t(5).toISOString()})`,
    );
  });
});
