import { describe, expect, it } from "vitest";
import { decideSourceChange, diffSourceLinks, linkKey, type SourceEvent, type StoredSource } from "../../src/domain/source-change.js";
import type { RecognisedLink } from "../../src/domain/link.js";

const t = (iso: string) => new Date(`2026-01-01T${iso}Z`);

describe("decideSourceChange", () => {
  const table: [string, StoredSource | null, SourceEvent, string][] = [
    ["new source, created", null, { action: "created", version: t("10:00:00") }, "apply"],
    ["new source, edited first (out of order)", null, { action: "edited", version: t("10:05:00") }, "apply"],
    ["newer edit", { version: t("10:00:00"), deleted: false }, { action: "edited", version: t("10:05:00") }, "apply"],
    ["same created twice", { version: t("10:00:00"), deleted: false }, { action: "created", version: t("10:00:00") }, "stale"],
    ["same edit twice re-applies the same text", { version: t("10:05:00"), deleted: false }, { action: "edited", version: t("10:05:00") }, "apply"],
    ["created after its edit", { version: t("10:05:00"), deleted: false }, { action: "created", version: t("10:00:00") }, "stale"],
    ["older edit after a newer one", { version: t("10:05:00"), deleted: false }, { action: "edited", version: t("10:01:00") }, "stale"],
    ["created in the same second as the stored edit", { version: t("10:00:00"), deleted: false }, { action: "created", version: t("10:00:00") }, "stale"],
    ["delete", { version: t("10:00:00"), deleted: false }, { action: "deleted" }, "apply"],
    ["delete before anything was seen", null, { action: "deleted" }, "apply"],
    ["edit after delete", { version: t("10:00:00"), deleted: true }, { action: "edited", version: t("11:00:00") }, "deleted"],
    ["created after delete", { version: t("10:00:00"), deleted: true }, { action: "created", version: t("09:00:00") }, "deleted"],
    ["delete twice", { version: t("10:00:00"), deleted: true }, { action: "deleted" }, "deleted"],
  ];
  it.each(table)("%s", (_, stored, event, expected) => {
    expect(decideSourceChange(stored, event)).toBe(expected);
  });
});

describe("diffSourceLinks", () => {
  const link = (id: string): RecognisedLink => ({ provider: "zendesk", account: "acme", conversationId: id, url: `https://acme.zendesk.com/agent/tickets/${id}` });
  const created = t("10:00:00");
  const edited = t("10:05:00");

  it("adds new links dated by the version that introduced them and removes the ones gone", () => {
    const diff = diffSourceLinks([{ key: linkKey(link("1")), postedAt: created }, { key: linkKey(link("2")), postedAt: created }], [link("2"), link("3")], {
      createdAt: created,
      version: edited,
    });
    expect(diff).toEqual({ add: [{ link: link("3"), postedAt: edited }], remove: ["zendesk:acme:1"] });
  });

  it("changes nothing when the text carries the same links", () => {
    expect(diffSourceLinks([{ key: "zendesk:acme:1", postedAt: created }], [link("1")], { createdAt: created, version: edited })).toEqual({ add: [], remove: [] });
  });

  it("dates a link found in the previous text by the creation when the edit is seen first", () => {
    const diff = diffSourceLinks([], [link("1"), link("2")], { createdAt: created, version: edited, previous: new Set(["zendesk:acme:1"]) });
    expect(diff.add).toEqual([
      { link: link("1"), postedAt: created },
      { link: link("2"), postedAt: edited },
    ]);
  });

  it("dates a link of the previous text by the stored version when one exists", () => {
    const stored = t("10:02:00");
    const diff = diffSourceLinks([], [link("1")], { createdAt: created, version: edited, previous: new Set(["zendesk:acme:1"]), storedVersion: stored });
    expect(diff.add).toEqual([{ link: link("1"), postedAt: stored }]);
  });

  it("removes everything when the text has no links left", () => {
    expect(diffSourceLinks([{ key: "zendesk:acme:1", postedAt: created }], [], { createdAt: created, version: edited })).toEqual({ add: [], remove: ["zendesk:acme:1"] });
  });
});
