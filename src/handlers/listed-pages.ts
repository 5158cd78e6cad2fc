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
 * Stores one listing page of a backfill in one transaction, as the webhooks would have stored each text (dated by
 * its own creation time: a backfill cannot know when an edit added a link, README, Existing issues). The common case,
 * a text new to closeloop whose conversations are new to its issue and whose issue has no close, is written a few
 * statements for the whole page; any other text takes the path every change takes, in the same transaction.
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
