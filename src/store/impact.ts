import { DAY_MS, type Report } from "../domain/frequency.js";
import { PROVIDERS, type ProviderId } from "../domain/link.js";
import { labelKey } from "../domain/team-labels.js";
import type { ImpactQuery, ImpactWindow, RepositoryScope } from "../domain/impact-query.js";
import { IMPACT_WINDOWS } from "../domain/impact.js";
import { engineOf, type Prisma, type Transaction } from "./database.js";
import { idList, idTable, NAMED_IDS } from "./id-table.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { timeParameter } from "./raw-values.js";

/** One ranked issue as the ranking query returns it; the rest of its row comes from `readImpactDetails`. */
export interface RankedIssue {
  issueId: number;
  repository: string;
  number: number;
  title: string | null;
  state: string;
  openedAt: Date | null;
  reports: number;
  customers: number;
}

interface RankingRow {
  issueId: number;
  owner: string;
  name: string;
  number: number;
  title: string | null;
  state: string;
  openedAt: Date | string | null;
  reports: number | bigint;
  customers: number | bigint;
}

// A link is live while a source carries it (`Link.live`; src/store/labels.ts reads reports the same way).
const live = (link: string) => Sql.raw(`${link}."live"`);

/** What marks an issue's counts due now, in the statement that marks its labels wanted (issue-markings.ts). */
export function impactDue(at: Date): Sql.Sql {
  return Sql.sql`"impactDueAt" = ${at}, "impactGeneration" = "impactGeneration" + 1`;
}

/**
 * What marks an issue's counts due at `at` in a statement that writes its openedAt, when the value written differs
 * from the stored one (`written`, the new value's expression; the right side of a SET reads the row before the write
 * on both engines): the counts keep it as the age sort's key (`IssueImpact.ageOrder`).
 */
export function impactDueOnOpenedAt(db: Prisma | Transaction, written: Sql.Sql, at: Date): Sql.Sql {
  const changed = Sql.sql`"Issue"."openedAt" IS DISTINCT FROM ${written}`;
  return Sql.sql`"impactDueAt" = CASE WHEN ${changed} THEN ${timeParameter(db, at)} ELSE "Issue"."impactDueAt" END,
    "impactGeneration" = "Issue"."impactGeneration" + CASE WHEN ${changed} THEN 1 ELSE 0 END`;
}

/**
 * `IssueImpact.ageOrder` of an issue whose openedAt is unknown: the latest time both engines store, so such issues
 * come last in the ascending order both read from the index.
 */
export const UNKNOWN_AGE = new Date("9999-12-31T23:59:59.999Z");
const unknownAge: Record<"sqlite" | "postgresql", string> = {
  sqlite: `'${UNKNOWN_AGE.toISOString().replace("Z", "+00:00")}'`,
  postgresql: `TIMESTAMP '${UNKNOWN_AGE.toISOString().replace("T", " ").replace("Z", "")}'`,
};

const REFRESH_BATCH = 5_000;

/**
 * Counts again the issues whose counts are due at `now`: those a change marked, then those a report of which left a
 * window, a batch at a time: one read of the batch's ids, then one write transaction that counts them in the database
 * (`countIssues`). One call counts an issue once; a count that raced a mark leaves the issue due, for the next call.
 * Stops after the batch that reaches `limit` issues (the background worker's round, a page's share), else when nothing
 * is due. `beforeBatch` is waited for before each batch (the background worker holds back while webhooks arrive).
 * Returns how many issues were counted.
 */
export async function refreshImpact(
  prisma: Prisma,
  now: Date,
  batch = REFRESH_BATCH,
  limit = Infinity,
  beforeBatch: () => Promise<void> = async () => {},
): Promise<number> {
  const marked = () => prisma.$queryRaw<{ id: number | bigint }[]>`
    SELECT "id" FROM "Issue" WHERE "impactDueAt" <= ${now} ORDER BY "impactDueAt" LIMIT ${batch}`;
  const timed = () => prisma.$queryRaw<{ id: number | bigint }[]>`
    SELECT "issueId" AS "id" FROM "IssueImpact" WHERE "dueAt" <= ${now} ORDER BY "dueAt" LIMIT ${batch}`;
  const counted = new Set<number>();
  for (const due of [marked, timed]) {
    while (counted.size < limit) {
      await beforeBatch();
      const found = await due();
      const ids = found.map((row) => Number(row.id)).filter((id) => !counted.has(id));
      if (ids.length === 0) break;
      await countIssues(prisma, ids, now);
      for (const id of ids) counted.add(id);
      if (found.length < batch) break;
    }
  }
  return counted.size;
}

/**
 * Whether some issue's counts are due at `now` and not counted yet (the first count after an upgrade or a new install
 * is under way, or a page found more due than it counts itself): a ranking read meanwhile is not complete. Two
 * indexed reads of one row each.
 */
export async function impactUncounted(prisma: Prisma, now: Date): Promise<boolean> {
  const marked = await prisma.$queryRaw<
    unknown[]
  >`SELECT 1 AS "due" FROM "Issue" WHERE "impactDueAt" <= ${now} LIMIT 1`;
  if (marked.length > 0) return true;
  const timed = await prisma.$queryRaw<unknown[]>`SELECT 1 AS "due" FROM "IssueImpact" WHERE "dueAt" <= ${now} LIMIT 1`;
  return timed.length > 0;
}

/** The helpdesks in the order their names sort, as `IssueImpact.helpdesks` lists them. */
const HELPDESKS = [...PROVIDERS].sort();

/**
 * Counts the issues in the database, set-based: one INSERT … SELECT reads each issue's generation, repository, state
 * and live links in one snapshot and writes its counts, then the marks it saw are cleared. The counts follow the
 * domain's definitions (`summariseImpact`, src/domain/impact.ts; test/store/impact-counts.test.ts checks them
 * against it on random links): in each window, the reports of unknown customers each count and a known customer
 * counts once, so reports = the unknown ones + the distinct customers; the counts change next when the oldest report
 * of a window leaves it, 1 ms after `at + days`, and the window's reports are exactly those whose exit is after `now`.
 * A count never replaces one of a newer generation (two counting one issue at once: a page and the worker), and a
 * mark committed after the snapshot leaves the issue due.
 */
async function countIssues(prisma: Prisma, ids: readonly number[], now: Date): Promise<void> {
  const engine = engineOf(prisma);
  // The batch's ids as one parameter; on PostgreSQL as an array, so each issue is found through its primary key (an
  // IN over a set-returning function is planned as a scan of every issue).
  const json = JSON.stringify(ids);
  const among = (id: Sql.Sql) =>
    engine === "postgresql"
      ? Sql.sql`${id} = ANY(ARRAY(SELECT CAST(t."id" AS INTEGER) FROM json_array_elements_text(CAST(${json} AS json)) AS t("id")))`
      : Sql.sql`${id} IN (SELECT CAST(t."value" AS INTEGER) FROM json_each(${json}) AS t)`;
  // Each aggregate once, in a subquery the outer select combines: an expression repeated with its own parameter is a
  // second aggregate to SQLite (a second temporary B-tree per COUNT(DISTINCT)), which doubled the count's time.
  // SQLite: the unary plus drops the column's NUMERIC affinity, which otherwise has each comparison try to read the
  // bound date text as a number first (a fifth of the count's instructions); the text is compared the same either way.
  const linkedAt = engine === "postgresql" ? Sql.raw(`l."linkedAt"`) : Sql.raw(`+l."linkedAt"`);
  const inWindow = (days: number) => Sql.sql`${linkedAt} >= ${new Date(now.getTime() - days * DAY_MS)}`;
  const aggregates = [
    ...IMPACT_WINDOWS.flatMap((days) => [
      Sql.sql`COUNT(CASE WHEN ${inWindow(days)} AND l."customerHash" IS NULL THEN 1 END) AS ${Sql.raw(`"unknown${days}"`)}`,
      Sql.sql`COUNT(DISTINCT CASE WHEN ${inWindow(days)} THEN l."customerHash" END) AS ${Sql.raw(`"customers${days}"`)}`,
      Sql.sql`MIN(CASE WHEN ${inWindow(days)} THEN l."linkedAt" END) AS ${Sql.raw(`"oldest${days}"`)}`,
    ]),
    ...HELPDESKS.map((provider) =>
      Sql.raw(`MAX(CASE WHEN l."provider" = '${provider}' THEN 1 ELSE 0 END) AS "${provider}"`),
    ),
    Sql.sql`COUNT(l."id") AS "links"`,
    Sql.sql`MAX(l."linkedAt") AS "lastReportAt"`,
  ];
  const counts = IMPACT_WINDOWS.flatMap((days) => [
    `c."unknown${days}" + c."customers${days}"`,
    `c."customers${days}"`,
  ]);
  // When a count changes next: the exit of a window's oldest report, 1 ms after it is `days` old. The windows nest,
  // so where a window holds no report neither does any smaller one: the first non-null LEAST (SQLite's MIN(a, b) is
  // null when any is) of the exits from each window on.
  const exits = IMPACT_WINDOWS.map((days) =>
    engine === "postgresql"
      ? `c."oldest${days}" + INTERVAL '${days} days 0.001 seconds'`
      : `strftime('%Y-%m-%dT%H:%M:%f+00:00', c."oldest${days}", '+${days} days', '+0.001 seconds')`,
  );
  const least = engine === "postgresql" ? "LEAST" : "MIN";
  const dueAt = `COALESCE(${exits.map((_, from) => (from === exits.length - 1 ? exits[from] : `${least}(${exits.slice(from).join(", ")})`)).join(", ")})`;
  // ",front,zendesk," in the order of the names, as the helpdesk filter reads it; "" without live links.
  const helpdesks = `CASE WHEN c."links" = 0 THEN '' ELSE ',' || ${HELPDESKS.map((provider) => `CASE WHEN c."${provider}" = 1 THEN '${provider},' ELSE '' END`).join(" || ")} END`;
  const columns = [
    "generation",
    "repositoryId",
    "state",
    ...IMPACT_WINDOWS.flatMap((days) => [`reports${days}`, `customers${days}`]),
    "lastReportAt",
    "helpdesks",
    "dueAt",
    "ageOrder",
  ];
  // Each issue's live links through its index. PostgreSQL reads them per issue (LATERAL): joined as a whole, it would
  // plan a hash join over every link and source of the database for each batch. SQLite already joins this way.
  const counted =
    engine === "postgresql"
      ? Sql.sql`SELECT i."id", i."impactGeneration" AS "generation", i."repositoryId", i."state", i."openedAt", a.*
          FROM "Issue" i CROSS JOIN LATERAL (
            SELECT ${Sql.join(aggregates, ", ")} FROM "Link" l WHERE l."issueId" = i."id" AND ${live("l")}
          ) a
          WHERE ${among(Sql.sql`i."id"`)}`
      : Sql.sql`SELECT i."id", i."impactGeneration" AS "generation", i."repositoryId", i."state", i."openedAt", ${Sql.join(aggregates, ", ")}
          FROM "Issue" i LEFT JOIN "Link" l ON l."issueId" = i."id" AND ${live("l")}
          WHERE ${among(Sql.sql`i."id"`)}
          GROUP BY i."id"`;
  await prisma.$transaction([
    prisma.$executeRaw`INSERT INTO "IssueImpact" ("issueId", ${Sql.raw(columns.map((c) => `"${c}"`).join(", "))})
      SELECT c."id", c."generation", c."repositoryId", c."state", ${Sql.raw(counts.join(", "))}, c."lastReportAt",
        ${Sql.raw(helpdesks)}, ${Sql.raw(dueAt)}, COALESCE(c."openedAt", ${Sql.raw(unknownAge[engine])})
      FROM (${counted}) c
      WHERE 1 = 1 -- SQLite reads an ON CONFLICT right after FROM as a join's ON: a WHERE keeps them apart
      ON CONFLICT ("issueId") DO UPDATE SET ${Sql.raw(columns.map((c) => `"${c}" = excluded."${c}"`).join(", "))}
      WHERE "IssueImpact"."generation" <= excluded."generation"`,
    prisma.$executeRaw`UPDATE "Issue" SET "impactDueAt" = NULL WHERE ${among(Sql.sql`"id"`)}
      AND EXISTS (SELECT 1 FROM "IssueImpact" m WHERE m."issueId" = "Issue"."id" AND m."generation" = "Issue"."impactGeneration")`,
  ]);
}

/**
 * The issues with customers still waiting for an agent's answer since a close of them reopened their conversation
 * (docs/answers.md), and how many: the watches without an outcome by their index, their closes by id. Few whatever
 * the database's size: a watch gets its outcome when the agent answers, or is given up on.
 */
const WAITING = `SELECT c."issueId", COUNT(*) AS "waiting" FROM "AnswerWatch" w CROSS JOIN "IssueClose" c
  WHERE w."outcome" IS NULL AND c."id" = w."closeId" GROUP BY c."issueId"`;

/** Whether the issue has a customer still waiting: its closes by their index on the issue, then their watches by theirs. */
const NOT_WAITING = `NOT EXISTS (SELECT 1 FROM "IssueClose" c CROSS JOIN "AnswerWatch" w
  WHERE c."issueId" = m."issueId" AND w."closeId" = c."id" AND w."outcome" IS NULL)`;

const byReports = (days: ImpactWindow) => `m."reports${days}" DESC, m."lastReportAt" DESC`;

const ORDER: Record<ImpactQuery["sort"], (days: ImpactWindow) => string> = {
  reports: byReports,
  customers: (days) => `m."customers${days}" DESC, m."reports${days}" DESC, m."lastReportAt" DESC`,
  last: (days) => `m."lastReportAt" DESC, m."reports${days}" DESC`,
  age: (days) => `m."ageOrder" ASC, m."reports${days}" DESC`,
  // Most waiting first, then as by reports: the issues with someone waiting (`waiting`, few) sorted whole, then the
  // others (`page`) in the order of the reports' index.
  waiting: byReports,
};

/** A filter that matches at most this many issues in the view's states is read through its own index. */
const FEW_ISSUES = 5_000;

const statesOf = (query: ImpactQuery) => (query.state === "all" ? ["open", "closed"] : [query.state]);

/** The `IssueImpact.helpdesks` values that list `helpdesk`: each set of the others, with it, in the order of names. */
const listing = (helpdesk: ProviderId) =>
  HELPDESKS.reduce<ProviderId[][]>(
    (sets, provider) =>
      provider === helpdesk
        ? sets.map((set) => [...set, provider])
        : [...sets, ...sets.map((set) => [...set, provider])],
    [[]],
  ).map((set) => `,${set.join(",")},`);

/** The view's label filters (a team label, any label closeloop manages) as each label's key and kinds. */
function labelFilters(query: ImpactQuery): [string, Sql.Sql][] {
  const labels: [string, Sql.Sql][] = [];
  if (query.team !== null) labels.push([labelKey(query.team), Sql.sql`x."kind" = 'team'`]);
  if (query.label !== null) labels.push([labelKey(query.label), Sql.sql`x."kind" IS NOT NULL`]);
  return labels;
}
const labelled = (key: string, kind: Sql.Sql) => Sql.sql`x."key" = ${key} AND x."present" AND ${kind}`;
/** The issues carrying a label, read by its key. */
const labelledIssues = ([key, kind]: [string, Sql.Sql]) =>
  Sql.sql`m."issueId" IN (SELECT x."issueId" FROM "IssueLabel" x WHERE ${labelled(key, kind)})`;

/** Which of a view's filters the ranking reads through its own index (`readsFewByIndex`). */
export interface IndexedFilters {
  /** the scope's repositories, named */
  repository: boolean;
  /** the helpdesk, as the values that list it */
  helpdesk: boolean;
  /** the labels, as the issues that carry them */
  labels: boolean;
}

/**
 * The statements that size the scope, the helpdesk filter and the label filters (`readsFewByIndex`), each the rows
 * one read of the filter's own index finds, to be counted up to past `FEW_ISSUES`: the scope's and the helpdesk's
 * counts in the view's states, the labels' rows (the issues that carry each, in any state). A page that reads a label's
 * issues by its key reads all of them, whatever their state, so that is what its cost follows too; and the labels
 * alone are one range of their key's index, where looking up each labelled issue's counts for its state was most of
 * the sizing's time (PostgreSQL hash-joins them with every count). Summed, the labels' rows are at least their issues
 * in common, and at most `FEW_ISSUES` only when each label is that rare.
 */
export function sizingStatements(
  query: ImpactQuery,
  scope: RepositoryScope,
): Partial<Record<keyof IndexedFilters, Sql.Sql>> {
  const inView = (condition: Sql.Sql) =>
    Sql.sql`SELECT 1 AS "one" FROM "IssueImpact" m WHERE ${condition} AND m."state" IN (${Sql.join(statesOf(query))})`;
  const labels = labelFilters(query);
  return {
    ...("repositoryIds" in scope &&
      scope.repositoryIds.length > 0 &&
      scope.repositoryIds.length <= NAMED_IDS && {
        repository: inView(Sql.sql`m."repositoryId" IN (${idList(scope.repositoryIds)})`),
      }),
    ...(query.helpdesk !== null && {
      helpdesk: inView(Sql.sql`m."helpdesks" IN (${Sql.join(listing(query.helpdesk))})`),
    }),
    ...(labels.length > 0 && {
      labels: Sql.sql`SELECT 1 AS "one" FROM "IssueLabel" x WHERE ${Sql.join(
        labels.map(([key, kind]) => Sql.sql`(${labelled(key, kind)})`),
        " OR ",
      )}`,
    }),
  };
}

/**
 * Which of the scope, the helpdesk filter and the label filters match few issues, up to `FEW_ISSUES` (a scope of up to
 * `NAMED_IDS` repositories): each found by one read of its index that stops past the limit (`sizingStatements`), all
 * in one statement. A repository of a person's few can hold most of the issues (one large product's), a helpdesk or a
 * label can be on most of them, and neither engine can be trusted to see it: SQLite does not weigh the page's LIMIT,
 * so it would read all of them that way and sort them.
 */
export async function readsFewByIndex(
  prisma: Prisma,
  query: ImpactQuery,
  scope: RepositoryScope,
): Promise<IndexedFilters> {
  const sizing = Object.entries(sizingStatements(query, scope));
  const indexed: IndexedFilters = { repository: false, helpdesk: false, labels: false };
  if (sizing.length === 0) return indexed;
  const [counted] = await prisma.$queryRaw<Record<string, number | bigint>[]>`SELECT ${Sql.join(
    sizing.map(
      ([filter, rows]) =>
        Sql.sql`(SELECT COUNT(*) FROM (${rows} LIMIT ${FEW_ISSUES + 1}) c) AS ${Sql.raw(`"${filter}"`)}`,
    ),
    ", ",
  )}`;
  for (const [filter] of sizing) indexed[filter as keyof IndexedFilters] = Number(counted![filter]) <= FEW_ISSUES;
  return indexed;
}

/**
 * The ranking's statements: its page (one row more than asked, to know whether a page follows) and its total up to
 * `totalCap` + 1, and by waiting the issues with someone waiting that the page may show (`waiting`, read first; then
 * `page` is the rest of the page, after the `waitingRows` it found). The page is read in the order of an index
 * (IssueImpact's, by state and window or age) and stops after its rows; the total stops after the cap's rows; the
 * waiting issues are sorted whole, as few as the answers outstanding. A small scope, a rare helpdesk or rare labels
 * (`indexed`, from `readsFewByIndex`) are read through their own index instead, named as values so the planner knows
 * how few rows they hold.
 */
export function impactRankingStatements(
  prisma: Prisma,
  query: ImpactQuery,
  scope: RepositoryScope,
  totalCap: number,
  indexed: IndexedFilters,
  waitingRows = 0,
): { page: Sql.Sql; total: Sql.Sql; waiting: Sql.Sql } {
  const reports = Sql.raw(`m."reports${query.days}"`);
  // Every view names the state (both, for all), so each reads a range of an index that leads with it: in rank order
  // for the page, index alone for the total.
  const inStates = (states: readonly string[]) => Sql.sql`m."state" IN (${Sql.join(states)})`;
  const filters: Sql.Sql[] = [];
  // Otherwise the unary plus keeps both engines off the repositories' index: the scope is checked on each row read in
  // rank order (and, a large scope's ids one parameter, on one statement whatever their number: idTable).
  if ("repositoryIds" in scope)
    filters.push(
      indexed.repository
        ? Sql.sql`m."repositoryId" IN (${idList(scope.repositoryIds)})`
        : Sql.sql`+m."repositoryId" IN (${idTable(prisma, scope.repositoryIds)})`,
    );
  if (query.repository !== null)
    filters.push(
      Sql.sql`m."repositoryId" IN (SELECT p."id" FROM "Repository" p WHERE p."fullName" = ${query.repository.toLowerCase()})`,
    );
  if (query.helpdesk !== null)
    filters.push(
      indexed.helpdesk
        ? Sql.sql`m."helpdesks" IN (${Sql.join(listing(query.helpdesk))})`
        : Sql.sql`m."helpdesks" LIKE ${`%,${query.helpdesk},%`}`,
    );
  // A label filter is asked two ways with one meaning: the page, read in rank order, checks each issue's label (and
  // stops after its rows), unless the label is on few issues (`indexed.labels`); the total reads the label's issues by
  // key (one index range instead of a probe per issue).
  const labels = labelFilters(query);
  // In the order of the latest report or of age, the window is checked on each row read rather than ranged on (the
  // unary plus keeps SQLite off the window's index, whose range it would then sort whole). By latest report, an issue
  // with reports in the window has its latest report in it, so its rows come first and the page stops after them; by
  // age, the page stops after its rows among the oldest issues, most of which have reports in a broad view.
  const whereIn = (states: readonly string[]) =>
    Sql.join(
      [
        query.sort === "last" || query.sort === "age" ? Sql.sql`+${reports} > 0` : Sql.sql`${reports} > 0`,
        inStates(states),
        ...filters,
        ...(indexed.labels
          ? labels.map(labelledIssues)
          : labels.map(
              ([key, kind]) =>
                Sql.sql`EXISTS (SELECT 1 FROM "IssueLabel" x WHERE x."issueId" = m."issueId" AND ${labelled(key, kind)})`,
            )),
      ],
      " AND ",
    );
  const where = whereIn(statesOf(query));
  const counted = Sql.join(
    [Sql.sql`${reports} > 0`, inStates(statesOf(query)), ...filters, ...labels.map(labelledIssues)],
    " AND ",
  );
  // CROSS JOIN keeps SQLite's join order (PostgreSQL plans it freely): the counts first, read in the order of an
  // index on them, so a page stops after its rows instead of sorting every issue.
  const columns = Sql.sql`i."id" AS "issueId", p."owner", p."name", i."number", i."title", i."state", i."openedAt",
    ${reports} AS "reports", ${Sql.raw(`m."customers${query.days}"`)} AS "customers"`;
  const order = Sql.raw(`${ORDER[query.sort](query.days)}, m."repositoryId", i."number"`);
  // By waiting, the page reads the issues with someone waiting first (`waiting`, as many as the page could need) and
  // the others after them: `page` is then the rest of the page, from `waitingRows` the first statement found.
  const { offset, limit } = pageRows(query, query.sort === "waiting" ? waitingRows : 0);
  const ranked = (states: readonly string[], rows: Sql.Sql, sortColumns: Sql.Sql) => Sql.sql`
    SELECT ${columns}${sortColumns}
    FROM "IssueImpact" m CROSS JOIN "Issue" i CROSS JOIN "Repository" p
    WHERE i."id" = m."issueId" AND p."id" = m."repositoryId" AND ${whereIn(states)}${Sql.raw(query.sort === "waiting" ? ` AND ${NOT_WAITING}` : "")}
    ORDER BY ${order}
    ${rows}`;
  // Both states: neither engine reads the two states' ranges of an index as one order, so each state's rows are read
  // in order up to the page's last (and stop there), and the two merged; as one range, every match was sorted.
  const page =
    query.state === "all"
      ? Sql.sql`
        SELECT u."issueId", u."owner", u."name", u."number", u."title", u."state", u."openedAt", u."reports", u."customers"
        FROM (${Sql.join(
          statesOf(query).map(
            (state, n) =>
              Sql.sql`SELECT * FROM (${ranked(
                [state],
                Sql.sql`LIMIT ${offset + limit}`,
                Sql.raw(
                  `, m."reports${query.days}", m."customers${query.days}", m."lastReportAt", m."ageOrder", m."repositoryId"`,
                ),
              )}) ${Sql.raw(`s${n}`)}`,
          ),
          " UNION ALL ",
        )}) u
        ORDER BY ${Sql.raw(`${ORDER[query.sort](query.days)}, m."repositoryId", m."number"`.replaceAll('m."', 'u."'))}
        LIMIT ${limit} OFFSET ${offset}`
      : ranked(statesOf(query), Sql.sql`LIMIT ${limit} OFFSET ${offset}`, Sql.empty);
  const waiting = Sql.sql`
    SELECT ${columns}
    FROM (${Sql.raw(WAITING)}) q CROSS JOIN "IssueImpact" m CROSS JOIN "Issue" i CROSS JOIN "Repository" p
    WHERE m."issueId" = q."issueId" AND i."id" = m."issueId" AND p."id" = m."repositoryId" AND ${where}
    ORDER BY q."waiting" DESC, ${order}
    LIMIT ${query.page * query.perPage + 1}`;
  // Counting every match of a broad view reads a million rows (a parallel scan on PostgreSQL, over half a second):
  // counted up to one past the cap, as GitHub's search answers a large count.
  const total = Sql.sql`
    SELECT COUNT(*) AS "total" FROM (SELECT 1 AS "one" FROM "IssueImpact" m WHERE ${counted} LIMIT ${totalCap + 1}) c`;
  return { page, total, waiting };
}

/**
 * Which rows of a view's order the page statement reads (one more than the page, to know whether another follows),
 * after `before` rows read by another statement ahead of them (by waiting, the issues with someone waiting).
 */
function pageRows(query: ImpactQuery, before: number): { offset: number; limit: number } {
  const skip = (query.page - 1) * query.perPage;
  const ahead = Math.min(Math.max(before - skip, 0), query.perPage + 1);
  return { offset: Math.max(skip - before, 0), limit: query.perPage + 1 - ahead };
}

/**
 * The page of issues with reports in the window, ranked, whether another page follows, and how many match in all up
 * to `totalCap` (past it, `totalCapped` and `total` is the cap), from the kept counts (its caller counts the due ones
 * first): two statements on either engine (`impactRankingStatements`; by waiting, one more first, and the page's only
 * when the waiting issues do not fill it), after one that sizes a scope of a few repositories, a helpdesk filter and
 * the label filters (`readsFewByIndex`).
 */
export async function readImpactRanking(
  prisma: Prisma,
  query: ImpactQuery,
  scope: RepositoryScope,
  totalCap: number,
): Promise<{ ranked: RankedIssue[]; nextPage: boolean; total: number; totalCapped: boolean }> {
  const indexed = await readsFewByIndex(prisma, query, scope);
  const waiting =
    query.sort === "waiting"
      ? await prisma.$queryRaw<RankingRow[]>(impactRankingStatements(prisma, query, scope, totalCap, indexed).waiting)
      : [];
  const statements = impactRankingStatements(prisma, query, scope, totalCap, indexed, waiting.length);
  const rest = pageRows(query, waiting.length).limit > 0 ? await prisma.$queryRaw<RankingRow[]>(statements.page) : [];
  const rows = [...waiting.slice((query.page - 1) * query.perPage), ...rest];
  const [{ total }] = (await prisma.$queryRaw<{ total: number | bigint }[]>(statements.total)) as [
    { total: number | bigint },
  ];
  const ranked = rows.slice(0, query.perPage).map((row) => ({
    issueId: Number(row.issueId),
    repository: `${row.owner}/${row.name}`,
    number: Number(row.number),
    title: row.title,
    state: row.state,
    openedAt: row.openedAt === null ? null : new Date(row.openedAt),
    reports: Number(row.reports),
    customers: Number(row.customers),
  }));
  return {
    ranked,
    nextPage: rows.length > query.perPage,
    total: Math.min(Number(total), totalCap),
    totalCapped: Number(total) > totalCap,
  };
}

export interface ImpactDetail {
  /** the live links posted in the window */
  reports: Report[];
  /** the helpdesks of all its live links */
  helpdesks: ProviderId[];
  /** its present labels that closeloop manages */
  labels: { name: string; kind: string }[];
  /** customers still waiting for an agent's answer since a close reopened their conversation */
  waiting: number;
}

/** The chart, helpdesks, labels and waiting customers of the ranked issues: three statements for the whole page. */
export async function readImpactDetails(
  prisma: Prisma,
  issueIds: readonly number[],
  days: number,
  now: Date,
): Promise<Map<number, ImpactDetail>> {
  const details = new Map<number, ImpactDetail>(
    issueIds.map((id) => [id, { reports: [], helpdesks: [], labels: [], waiting: 0 }]),
  );
  if (issueIds.length === 0) return details;
  const ids = Sql.join(issueIds.map((id) => Sql.sql`${id}`));
  const since = now.getTime() - days * DAY_MS;
  const links = await prisma.$queryRaw<
    { issueId: number; provider: ProviderId; linkedAt: Date | string; customerHash: string | null }[]
  >`
    SELECT l."issueId", l."provider", l."linkedAt", l."customerHash" FROM "Link" l WHERE l."issueId" IN (${ids}) AND ${live("l")}`;
  for (const link of links) {
    const detail = details.get(Number(link.issueId))!;
    if (!detail.helpdesks.includes(link.provider)) detail.helpdesks.push(link.provider);
    const at = new Date(link.linkedAt);
    if (at.getTime() >= since) detail.reports.push({ at, customer: link.customerHash });
  }
  const labels = await prisma.$queryRaw<{ issueId: number; name: string; kind: string }[]>`
    SELECT x."issueId", x."name", x."kind" FROM "IssueLabel" x WHERE x."issueId" IN (${ids}) AND x."present" AND x."kind" IS NOT NULL`;
  for (const label of labels) details.get(Number(label.issueId))!.labels.push({ name: label.name, kind: label.kind });
  const waiting = await prisma.$queryRaw<{ issueId: number; waiting: number | bigint }[]>`
    SELECT c."issueId", COUNT(*) AS "waiting" FROM "IssueClose" c CROSS JOIN "AnswerWatch" w
    WHERE c."issueId" IN (${ids}) AND w."closeId" = c."id" AND w."outcome" IS NULL GROUP BY c."issueId"`;
  for (const row of waiting) details.get(Number(row.issueId))!.waiting = Number(row.waiting);
  return details;
}
