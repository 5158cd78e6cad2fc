import type { Report } from "../domain/frequency.js";
import type { TrackedLabel } from "../domain/label-plan.js";
import type { ConversationTeam } from "../domain/team-labels.js";
import { labelKey } from "../domain/team-labels.js";
import { engineOf, type Prisma, type Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { inRows } from "./parameter-lists.js";
import { laterThan, rawDate, rawFlag, timeParameter } from "./raw-values.js";

export interface LabelInputs {
  issueId: number;
  /** the last evaluation (LabelEvaluation): the frequency it found and when it is due again */
  frequency: string | null;
  labelsDueAt: Date | null;
  /** set when the labels must be applied again (the config changed, or applying new helpdesk details failed) */
  staleAt: Date | null;
  /** one per live link (a link still carried by a source) */
  reports: Report[];
  conversations: ConversationTeam[];
  labels: TrackedLabel[];
  /** set while the repository refuses label writes (403) */
  labelError: { message: string; at: Date } | null;
  /** the issue's latest mark (`Issue.labelsMarkedAt`) when these were read: a change since marks it again */
  markedAt: Date | null;
}

/**
 * What the labels of `repository#number` are computed from; null when closeloop has no row for the issue.
 */
export async function readLabelInputs(
  prisma: Prisma,
  repositoryId: bigint,
  number: number,
): Promise<LabelInputs | null> {
  return (
    (await readLabelInputsOf(prisma, [{ repositoryId, number }])).get(labelInputsKey(repositoryId, number)) ?? null
  );
}

/** readLabelInputsOf's key for an issue. */
export const labelInputsKey = (repositoryId: bigint, number: number) => `${repositoryId}#${number}`;

/**
 * readLabelInputs for several issues (the markings job's claim), keyed by labelInputsKey; an issue closeloop has no row
 * for is absent. One statement: on a database another host away each statement is a round trip (P8, #25). The three
 * kinds of row (each issue with its repository's label error, its live links, its labels) share one set of columns,
 * told apart by `row`, and carry their issue's id.
 */
export async function readLabelInputsOf(
  prisma: Prisma,
  issues: readonly { repositoryId: bigint; number: number }[],
): Promise<Map<string, LabelInputs>> {
  if (issues.length === 0) return new Map();
  const named = inRows(
    engineOf(prisma),
    [Sql.sql`"i"."repositoryId"`, Sql.sql`"i"."number"`],
    ["bigint", "integer"],
    issues.map((issue) => [issue.repositoryId, issue.number]),
  );
  const rows = await prisma.$queryRaw<
    {
      row: "issue" | "label" | "link";
      issue: number | bigint;
      id: number | bigint | null;
      repositoryId: number | bigint | null;
      a: string | null;
      b: string | null;
      c: string | null;
      at: Date | string | null;
      at2: Date | string | null;
      at3: Date | string | null;
      at4: Date | string | null;
      f1: boolean | number | bigint | null;
      f2: boolean | number | bigint | null;
      f3: boolean | number | bigint | null;
    }[]
  >`
    SELECT 'issue' AS "row", "i"."id" AS "issue", "i"."number" AS "id", "i"."repositoryId", "v"."frequency" AS "a",
      "e"."message" AS "b", NULL AS "c", "v"."dueAt" AS "at", "v"."staleAt" AS "at2", "e"."seenAt" AS "at3",
      "i"."labelsMarkedAt" AS "at4", NULL AS "f1", NULL AS "f2", NULL AS "f3"
    FROM "Issue" "i" LEFT JOIN "LabelError" "e" ON "e"."repositoryId" = "i"."repositoryId"
      LEFT JOIN "LabelEvaluation" "v" ON "v"."issueId" = "i"."id"
    WHERE ${named}
    UNION ALL
    SELECT 'label', "i"."id", NULL, NULL, "l"."name", NULL, "l"."key", "l"."seenAt", NULL, NULL, NULL, "l"."present", "l"."applied", "l"."suppressed"
    FROM "IssueLabel" "l" JOIN "Issue" "i" ON "i"."id" = "l"."issueId"
    WHERE ${named}
    UNION ALL
    SELECT 'link', "i"."id", "k"."id", NULL, "k"."customerHash", "k"."team", "k"."tags", "k"."linkedAt", NULL, NULL, NULL, NULL, NULL, NULL
    FROM "Link" "k" JOIN "Issue" "i" ON "i"."id" = "k"."issueId"
    WHERE ${named} AND "k"."live"
    ORDER BY "row", "id", "c"`;
  const byIssue = new Map<number, typeof rows>();
  for (const row of rows) {
    const issueId = Number(row.issue);
    const own = byIssue.get(issueId);
    if (own === undefined) byIssue.set(issueId, [row]);
    else own.push(row);
  }
  const read = new Map<string, LabelInputs>();
  for (const [issueId, own] of byIssue) {
    const issue = own.find((row) => row.row === "issue")!;
    const links = own.filter((row) => row.row === "link");
    read.set(labelInputsKey(BigInt(issue.repositoryId!), Number(issue.id)), {
      issueId,
      frequency: issue.a,
      labelsDueAt: rawDate(issue.at),
      staleAt: rawDate(issue.at2),
      reports: links.map((link) => ({ at: rawDate(link.at)!, customer: link.a })),
      conversations: links.map((link) => ({ team: link.b, tags: parseTags(link.c) })),
      labels: own
        .filter((row) => row.row === "label")
        .map((row) => ({
          name: row.a!,
          present: rawFlag(row.f1),
          at: rawDate(row.at)!,
          applied: rawFlag(row.f2),
          suppressed: rawFlag(row.f3),
        })),
      labelError: issue.b === null ? null : { message: issue.b, at: rawDate(issue.at3)! },
      markedAt: rawDate(issue.at4),
    });
  }
  return read;
}

/** `Link.tags` holds a JSON array of strings; anything else reads as no tags. */
export function parseTags(stored: string | null): string[] {
  if (stored === null) return [];
  try {
    const parsed: unknown = JSON.parse(stored);
    return Array.isArray(parsed) ? parsed.filter((tag): tag is string => typeof tag === "string") : [];
  } catch {
    return [];
  }
}

export interface LabelWrite {
  name: string;
  present: boolean;
  at: Date;
  /** set for closeloop's own additions (true) and removals (false); left alone for what it only saw */
  applied?: boolean;
  /** for closeloop's own additions: which of its labels this is (the dashboard shows them apart) */
  kind?: "frequency" | "team";
}

/**
 * Records what closeloop did to an issue's labels, or saw on it, and the frequency it evaluated, with the stale mark
 * the evaluation read (`LabelInputs.staleAt`, `staleRead`). `settled` is that mark when the labels are now applied:
 * it is cleared only if no newer mark came meanwhile. A newer mark (a config push since the read) also keeps its due
 * time, so the sweep it asked for still finds the issue.
 */
export async function recordIssueLabels(
  prisma: Prisma,
  issueId: number,
  writes: readonly LabelWrite[],
  evaluation?: { frequency: string | null; dueAt: Date | null; staleRead: Date | null },
  settled: Date | null = null,
): Promise<void> {
  if (writes.length === 0 && !evaluation && settled === null) return;
  await prisma.$transaction(async (tx) => {
    for (const write of writes) {
      const key = labelKey(write.name);
      const applied = {
        ...(write.applied === undefined ? {} : { applied: write.applied }),
        ...(write.kind === undefined ? {} : { kind: write.kind }),
      };
      await tx.issueLabel.upsert({
        where: { issueId_key: { issueId, key } },
        create: { issueId, key, name: write.name, present: write.present, seenAt: write.at, ...applied },
        update: { name: write.name, present: write.present, seenAt: write.at, ...applied },
      });
    }
    if (evaluation) {
      const { frequency, dueAt, staleRead } = evaluation;
      const kept = Sql.sql`"LabelEvaluation"."staleAt"`;
      const newer =
        staleRead === null
          ? Sql.sql`${kept} IS NOT NULL`
          : Sql.sql`${kept} IS NOT NULL AND ${kept} <> ${timeParameter(tx, staleRead)}`;
      const due = dueAt === null ? Sql.sql`NULL` : timeParameter(tx, dueAt);
      await tx.$executeRaw`INSERT INTO "LabelEvaluation" ("issueId", "frequency", "dueAt") VALUES (${issueId}, ${frequency}, ${due})
        ON CONFLICT ("issueId") DO UPDATE SET "frequency" = excluded."frequency",
          "dueAt" = CASE WHEN ${newer} THEN "LabelEvaluation"."dueAt" ELSE excluded."dueAt" END`;
    }
    if (settled !== null)
      await tx.labelEvaluation.updateMany({ where: { issueId, staleAt: settled }, data: { staleAt: null } });
  });
}

export interface LabelEvent {
  repositoryId: bigint;
  number: number;
  name: string;
  present: boolean;
  at: Date;
  /** a person (not a bot, not closeloop) added or removed it */
  byPerson: boolean;
}

/** `suppressed` / `released`: a person removed or re-added a label closeloop had added; `recorded`: anything else kept. */
export type LabelEventOutcome = "unknown-issue" | "ignored" | "suppressed" | "released" | "recorded";

/**
 * `issues.labeled` / `issues.unlabeled`. A person removing a label from an issue closeloop knows suppresses it there;
 * a person adding it back lifts that. A person's actions are ordered among themselves by GitHub's timestamps
 * (`personAt`), so an older event delivered late cannot undo a newer one. Labels closeloop already has a row for are
 * kept current whoever changed them (another bot, closeloop itself), so its view stays true between payloads.
 * `applied` is left alone: a label closeloop added is managed by it again once a person adds it back.
 */
export async function recordLabelEvent(prisma: Prisma, event: LabelEvent): Promise<LabelEventOutcome> {
  const issue = await prisma.issue.findUnique({
    where: { repositoryId_number: { repositoryId: event.repositoryId, number: event.number } },
    select: { id: true },
  });
  if (!issue) return "unknown-issue";
  const key = labelKey(event.name);
  const where = { issueId_key: { issueId: issue.id, key } };
  const stored = await prisma.issueLabel.findUnique({ where });
  const at = event.at.getTime();
  // Presence follows the newest knowledge; at a tie the event wins (it was sent after whatever was written).
  const seen =
    !stored || stored.seenAt.getTime() <= at ? { name: event.name, present: event.present, seenAt: event.at } : {};
  if (event.byPerson) {
    if (stored?.personAt && stored.personAt.getTime() > at) return "ignored";
    if (!event.present) {
      await prisma.issueLabel.upsert({
        where,
        create: {
          issueId: issue.id,
          key,
          name: event.name,
          present: false,
          seenAt: event.at,
          suppressed: true,
          personAt: event.at,
        },
        update: { ...seen, suppressed: true, personAt: event.at },
      });
      return stored?.applied ? "suppressed" : "recorded";
    }
    if (stored?.suppressed) {
      await prisma.issueLabel.update({ where, data: { ...seen, suppressed: false, personAt: event.at } });
      return stored.applied ? "released" : "recorded";
    }
  }
  if (!stored) return "ignored";
  const data = event.byPerson ? { ...seen, personAt: event.at } : seen;
  if (Object.keys(data).length === 0) return "ignored";
  await prisma.issueLabel.update({ where, data });
  return "recorded";
}

/** GitHub refused a label write (403): recorded for `closeloop status`; label writes there pause for a while. */
export async function recordLabelError(prisma: Prisma, repositoryId: bigint, message: string, at: Date): Promise<void> {
  await prisma.labelError.upsert({
    where: { repositoryId },
    create: { repositoryId, message, seenAt: at },
    update: { message, seenAt: at },
  });
}

export async function clearLabelError(prisma: Prisma, repositoryId: bigint): Promise<void> {
  await prisma.labelError.deleteMany({ where: { repositoryId } });
}

export interface RepositoryLabelError {
  repository: string;
  message: string;
  seenAt: Date;
}

export async function listLabelErrors(prisma: Prisma): Promise<RepositoryLabelError[]> {
  const rows = await prisma.labelError.findMany({
    include: { repository: { select: { owner: true, name: true } } },
    orderBy: { seenAt: "desc" },
  });
  return rows.map(({ repository, message, seenAt }) => ({
    repository: `${repository.owner}/${repository.name}`,
    message,
    seenAt,
  }));
}

/**
 * The config changed: every issue with links in these repositories is due for the decay sweep now, its labels to be
 * applied again (a threshold, window, label name or team mapping may have changed what it should carry). With `owner` only (the owner's
 * `.github` repository changed, which every repository may `_extends`), all of the owner's repositories.
 */
export async function markLabelsDue(
  prisma: Prisma,
  where: { repositoryId: bigint } | { owner: string },
  at: Date,
): Promise<number> {
  const repositories =
    "repositoryId" in where
      ? Sql.sql`"repositoryId" = ${where.repositoryId}`
      : Sql.sql`"repositoryId" IN (SELECT "id" FROM "Repository" WHERE LOWER("owner") = ${where.owner.toLowerCase()})`;
  return markLabelsStale(
    prisma,
    Sql.sql`${repositories} AND EXISTS (SELECT 1 FROM "Link" l WHERE l."issueId" = "Issue"."id")`,
    at,
  );
}

/**
 * The labels of the issues `where` selects (a condition on "Issue") must be applied again whatever their frequency:
 * due for the decay sweep at `at` and marked stale, until an evaluation that read the mark applies them. One statement;
 * an issue never evaluated gets its row. Returns how many issues it marked.
 */
export async function markLabelsStale(db: Prisma | Transaction, where: Sql.Sql, at: Date): Promise<number> {
  const time = timeParameter(db, at);
  return db.$executeRaw`INSERT INTO "LabelEvaluation" ("issueId", "dueAt", "staleAt")
    SELECT "id", ${time}, ${time} FROM "Issue" WHERE ${where}
    ON CONFLICT ("issueId") DO UPDATE SET "dueAt" = excluded."dueAt",
      "staleAt" = ${laterThan(db, Sql.sql`"LabelEvaluation"."staleAt"`, at)}`;
}
