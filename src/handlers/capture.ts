import type { Context } from "probot";
import { recogniseLinks } from "../domain/recognise-links.js";
import { linkKey, type SourceEvent } from "../domain/source-change.js";
import { applySourceChange, type IssueRef, type SourceKind } from "../store/links.js";
import type { HandlerDeps } from "./deps.js";
import { describeIssue } from "./payload-refs.js";
import { refreshIssueLabels } from "./labels.js";

export interface CapturedText {
  issue: IssueRef;
  source: { kind: SourceKind; key: string };
  event: SourceEvent;
  /** the text now; ignored for a delete */
  text: string;
  createdAt: Date;
  /** `changes.body.from` of an `edited` event */
  previousText?: string;
}

/** Reads the conversation links out of one version of a body or comment and stores them. */
export async function captureText(deps: HandlerDeps, context: Context, captured: CapturedText): Promise<void> {
  const where = `${describeIssue(captured.issue)} ${captured.source.kind === "body" ? "body" : `comment ${captured.source.key}`}`;
  let links: ReturnType<typeof recogniseLinks>["links"] = [];
  if (captured.event.action !== "deleted") {
    const config = await deps.configs.get(captured.issue.repository, (file) => context.config(file));
    const found = recogniseLinks(captured.text, deps.matchers, { max: config.links.max_per_source });
    for (const rejected of found.rejected) context.log.info({ url: rejected.url, provider: rejected.provider }, `${where}: ignored ${rejected.url}: ${rejected.reason}`);
    if (found.truncated > 0) {
      context.log.warn(
        `${where}: carries ${found.links.length + found.truncated} conversation links; only the first ${found.links.length} are kept (links.max_per_source)`,
      );
    }
    links = found.links;
  }
  const previous =
    captured.previousText === undefined ? undefined : new Set(recogniseLinks(captured.previousText, deps.matchers).links.map(linkKey));
  const outcome = await applySourceChange(deps.prisma, {
    issue: captured.issue,
    source: captured.source,
    event: captured.event,
    links,
    createdAt: captured.createdAt,
    previous,
  });
  if (outcome.decision !== "apply") {
    context.log.debug(`${where}: ${outcome.decision === "stale" ? "an older version than the one stored" : "already deleted"}; ignored`);
  } else if (outcome.added + outcome.removed > 0) {
    context.log.info(
      { added: outcome.added, removed: outcome.removed, linksDeleted: outcome.linksDeleted },
      `${where}: ${outcome.added} link(s) added, ${outcome.removed} removed`,
    );
    await refreshIssueLabels(deps, context, captured.issue);
  }
}
