import { describe, expect, it } from "vitest";
import type { RecognisedLink } from "../../src/domain/link.js";
import { recordMerge } from "../../src/store/merges.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { ENGINES } from "../support/databases.js";
import { useDatabase } from "../support/use-database.js";
import { closeWithLinks, issueRef } from "../support/reopen.js";

const front = (id: string): RecognisedLink => ({
  provider: "front",
  account: "",
  conversationId: id,
  url: `https://app.frontapp.com/open/${id}`,
});
const merge = (from: string, to: string) => ({ provider: "front", account: "", from, to });

describe.each(ENGINES)("merged conversations on %s", (engine) => {
  const database = useDatabase(engine);

  const paste = (
    number: number,
    comment: string,
    links: RecognisedLink[],
    action: "created" | "edited" = "created",
    at = "2026-11-20T10:00:00Z",
  ) =>
    applySourceChange(database, {
      issue: issueRef(number),
      source: { kind: "comment", key: comment },
      event: { action, version: new Date(at) },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links,
    });
  const links = (number: number) =>
    database.prisma.link.findMany({
      where: { issue: { number } },
      orderBy: { id: "asc" },
      include: { sources: { select: { source: { select: { key: true } } } } },
    });
  const jobs = () =>
    database.prisma.reopenJob.findMany({ orderBy: { id: "asc" }, select: { conversationId: true, state: true } });

  it("moves the link to the survivor and keeps the old id as an alias: the old URL pasted later is the same link", async () => {
    await paste(1, "101", [front("cnv_a")]);
    expect(await recordMerge(database.prisma, merge("cnv_a", "cnv_b"), { readSurvivor: true })).toHaveLength(1);
    expect(
      await database.prisma.conversationAlias.findMany({
        select: { provider: true, aliasId: true, conversationId: true },
      }),
    ).toEqual([{ provider: "front", aliasId: "cnv_a", conversationId: "cnv_b" }]);

    await paste(1, "102", [front("cnv_a")]);
    // An edit of the first comment derives its mentions again: still the survivor.
    await paste(1, "101", [front("cnv_a")], "edited", "2026-11-20T11:00:00Z");
    const [link, ...others] = await links(1);
    expect(others).toEqual([]);
    expect(link).toMatchObject({ conversationId: "cnv_b", url: "https://app.frontapp.com/open/cnv_a" });
    expect(link!.sources.map((carrier) => carrier.source.key).sort()).toEqual(["101", "102"]);
    expect(
      await database.prisma.enrichJob.findMany({ where: { conversationId: "cnv_b" }, select: { state: true } }),
    ).toEqual([{ state: "pending" }]);
  });

  it("makes one link and one job per close of an issue that linked both conversations", async () => {
    await closeWithLinks(database, 2, [front("cnv_a"), front("cnv_b")]);
    expect(await jobs()).toHaveLength(2);
    await recordMerge(database.prisma, merge("cnv_a", "cnv_b"), { readSurvivor: true });
    expect((await links(2)).map((link) => link.conversationId)).toEqual(["cnv_b"]);
    expect(await jobs()).toEqual([{ conversationId: "cnv_b", state: "pending" }]);
  });

  it("keeps a done job done, under the survivor, and adds none", async () => {
    await closeWithLinks(database, 3, [front("cnv_a")]);
    await database.prisma.reopenJob.updateMany({ data: { state: "done", finishedAt: new Date() } });
    await recordMerge(database.prisma, merge("cnv_a", "cnv_b"), { readSurvivor: true });
    await paste(3, "3001", [front("cnv_a"), front("cnv_b")], "edited", "2026-11-20T11:00:00Z");
    expect(await jobs()).toEqual([{ conversationId: "cnv_b", state: "done" }]);
    expect((await links(3)).map((link) => link.conversationId)).toEqual(["cnv_b"]);
  });

  it("follows a chain of merges: every old id names the last survivor", async () => {
    await paste(4, "401", [front("cnv_a")]);
    await recordMerge(database.prisma, merge("cnv_a", "cnv_b"), { readSurvivor: true });
    await recordMerge(database.prisma, merge("cnv_b", "cnv_c"), { readSurvivor: true });
    await paste(4, "402", [front("cnv_a"), front("cnv_b")]);
    expect((await links(4)).map((link) => link.conversationId)).toEqual(["cnv_c"]);
    expect(
      await database.prisma.conversationAlias.findMany({
        orderBy: { aliasId: "asc" },
        select: { aliasId: true, conversationId: true },
      }),
    ).toEqual([
      { aliasId: "cnv_a", conversationId: "cnv_c" },
      { aliasId: "cnv_b", conversationId: "cnv_c" },
    ]);
  });
});
