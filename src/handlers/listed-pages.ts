import type { RecognisedLink, SourceKind } from "../domain/link.js";
import { mayBeMerged, toSurvivor } from "../domain/merged-conversations.js";
import {
  eventVersions,
  linkKey,
  mapVersionLinks,
  planLink,
  sourceMentions,
  type SourceVersion,
} from "../domain/mentions.js";
import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import { mergingProviders } from "../providers/registry.js";
import type { BackfillIssue } from "../store/backfills.js";
import {
  keepBackfillIssuesIn,
  readIssueConversations,
  storeNewSources,
  type NewSource,
} from "../store/backfill-pages.js";
import { survivorsOf } from "../store/conversation-aliases.js";
import type { DatabaseHandle } from "../store/database.js";
import { ensureIssues, recordIssueDetails, recordSources, sourceKey } from "../store/links.js";
import { storedLink } from "../store/mentions.js";
import { inTransaction } from "../store/transactions.js";
import { applySourceChangeIn } from "./source-changes.js";

/** A body or comment a listing showed, by a trusted author, with the links it carries. */
export interface ListedText {
  issue: IssueRef;
  source: { kind: SourceKind; key: string };
  links: readonly RecognisedLink[];
  createdAt: Date;
  updatedAt: Date;
}

/** What one page of a backfill's listing stores. */
export interface ListedPage {
  repository: RepositoryRef;
  /** the issues the page listed and read: a stored one's title and dates are brought up to date */
  listed: readonly IssueRef[];
  /** the trusted texts that carry links */
  texts: readonly ListedText[];
  /** the listed issues with comments, kept for the comments phase */
  kept: readonly BackfillIssue[];
  /** `links.max_per_issue` */
  maxLinks: number;
}

/**
 * A page cut into parts of whole issues, in the page's order, each holding at most `size` issues and texts together (an
 * issue with more texts than that is a part of its own), to be stored one transaction each (`storeListedPage`): a
 * burst of webhooks that begins while a page is stored waits for one part, not the whole page (#25, P1: a page of 100
 * comments took 20-120 ms on a loaded PostgreSQL). An issue's texts stay in one part, where they are decided together
 * as in the whole page; different issues' never depend on each other.
 */
export function splitListedPage(page: ListedPage, size: number): ListedPage[] {
  const issues = new Map<number, { listed: IssueRef[]; texts: ListedText[]; kept: BackfillIssue[] }>();
  const of = (number: number) => {
    let issue = issues.get(number);
    if (issue === undefined) issues.set(number, (issue = { listed: [], texts: [], kept: [] }));
    return issue;
  };
  for (const issue of page.listed) of(issue.number).listed.push(issue);
  for (const text of page.texts) of(text.issue.number).texts.push(text);
  for (const issue of page.kept) of(issue.number).kept.push(issue);
  type Part = { listed: IssueRef[]; texts: ListedText[]; kept: BackfillIssue[]; weight: number };
  const parts: Part[] = [];
  for (const issue of issues.values()) {
    const weight = 1 + issue.texts.length;
    let part = parts.at(-1);
    if (part === undefined || part.weight + weight > size)
      parts.push((part = { listed: [], texts: [], kept: [], weight: 0 }));
    part.listed.push(...issue.listed);
    part.texts.push(...issue.texts);
    part.kept.push(...issue.kept);
    part.weight += weight;
  }
  return parts.map(({ listed, texts, kept }) => ({ ...page, listed, texts, kept }));
}

/**
 * Stores one listing page of a backfill (or a part of one, `splitListedPage`) in one transaction, as the webhooks
 * would have stored each text (dated by its own creation time: a backfill cannot know when an edit added a link,
 * README, Existing issues). The common case, a text new to closeloop whose conversations are new to its issue and
 * whose issue has no close, is written a few statements for the whole page; any other text takes the path every
 * change takes, in the same transaction.
 * Returns the links added and the open issues that gained some (their labels are due).
 */
export async function storeListedPage(
  database: DatabaseHandle,
  page: ListedPage,
): Promise<{ added: number; linked: IssueRef[] }> {
  const linkedIssues = new Set(page.texts.map((text) => text.issue.number));
  const unlinked = page.listed.filter((issue) => !linkedIssues.has(issue.number));
  if (unlinked.length === 0 && page.texts.length === 0 && page.kept.length === 0) return { added: 0, linked: [] };
  return inTransaction(
    database.prisma,
    async (tx) => {
      await recordIssueDetails(tx, page.repository.id, unlinked);
      await keepBackfillIssuesIn(tx, page.repository.id, page.kept);
      if (page.texts.length === 0) return { added: 0, linked: [] };
      const now = new Date();
      const issues = await ensureIssues(
        tx,
        page.texts.map((text) => text.issue),
        now,
      );
      const issueOf = (text: ListedText) => issues.get(text.issue.number)!;
      const sources = await recordSources(
        tx,
        page.texts.map((text) => ({ issueId: issueOf(text).id, ...text.source, createdAt: text.createdAt })),
      );
      const sourceOf = (text: ListedText) => sources.get(sourceKey({ issueId: issueOf(text).id, ...text.source }))!;
      // Versions keep the ids as pasted; mentions name a merged conversation's survivor (as deriveMentions does).
      const survivors = await survivorsOf(
        tx,
        mayBeMerged(
          page.texts.flatMap((text) => text.links),
          mergingProviders,
        ),
      );
      const known = await readIssueConversations(
        tx,
        page.texts.map(sourceOf).flatMap((source) => (source.links > 0 || source.history ? [source.issueId] : [])),
      );
      const fresh: NewSource[] = [];
      const others: ListedText[] = [];
      const live = new Map<number, number>();
      for (const text of page.texts) {
        const source = sourceOf(text);
        const versions: SourceVersion[] = eventVersions(
          { action: "edited", version: text.updatedAt },
          text.links,
          text.links,
          now,
        ).map((version) => mapVersionLinks(version, storedLink));
        const mentions = sourceMentions(
          versions.map((version) => mapVersionLinks(version, (link) => toSurvivor(link, survivors))),
          source.createdAt ?? text.createdAt,
        );
        const keys = mentions.map((mention) => linkKey(mention.link));
        const issue = known.get(source.issueId) ?? { conversations: new Set<string>(), closed: false };
        known.set(source.issueId, issue);
        const links = live.get(source.issueId) ?? source.links;
        if (
          source.fresh &&
          !issue.closed &&
          keys.every((key) => !issue.conversations.has(key)) &&
          links + keys.length <= page.maxLinks
        ) {
          for (const key of keys) issue.conversations.add(key);
          live.set(source.issueId, links + keys.length);
          fresh.push({
            issueId: source.issueId,
            sourceId: source.id,
            versions,
            mentions,
            links: mentions.map((mention) => ({
              link: mention.link,
              plan: planLink(
                [{ sourceId: source.id, kind: text.source.kind, start: mention.start, end: mention.end }],
                [],
              )!,
            })),
          });
        } else {
          // What the page's other texts of this issue add is no longer known here: they take the general path too.
          issue.closed = true;
          others.push(text);
        }
      }
      let added = await storeNewSources(tx, fresh, now);
      const gained = new Set(fresh.map((source) => source.issueId));
      for (const text of others) {
        const outcome = await applySourceChangeIn(tx, {
          issue: text.issue,
          source: text.source,
          event: { action: "edited", version: text.updatedAt },
          links: text.links,
          createdAt: text.createdAt,
          previous: text.links,
          maxLinks: page.maxLinks,
        });
        added += outcome.added;
        if (outcome.added > 0) gained.add(issueOf(text).id);
      }
      const linked = new Map<number, IssueRef>();
      for (const text of page.texts) {
        const issue = issueOf(text);
        if (gained.has(issue.id) && text.issue.state === "open") linked.set(issue.id, text.issue);
      }
      return { added, linked: [...linked.values()] };
    },
    { repository: { rows: database.repositoryRows, ref: page.repository } },
  );
}
