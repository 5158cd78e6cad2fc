import {
  DAY_MS,
  frequencyOf,
  nextFrequencyChange,
  type Frequency,
  type FrequencyRules,
  type Report,
} from "../domain/frequency.js";
import type { DueIssue, Evaluation, SweepStore } from "../store/label-sweep.js";

/** An issue whose frequency label changed with time, or whose labels are stale: its labels must be applied on GitHub. */
export interface DecayedIssue {
  issueId: number;
  repositoryId: bigint;
  number: number;
  from: Frequency | null;
  to: Frequency | null;
  /** marked stale (the config changed, or applying its labels failed): applied whatever the frequency */
  stale: boolean;
}

/**
 * Each repository's frequency rules (its config); null when they cannot be known now (its issues are left due).
 * `stale`: the issue that asks first is marked stale (its config may have changed since it was last read).
 */
export type RulesFor = (repositoryId: bigint, stale: boolean) => FrequencyRules | null | Promise<FrequencyRules | null>;

export interface SweepOptions {
  /**
   * issues read and evaluated per batch: 500 keeps a million-link sweep near 100 MB of RSS; larger batches are not
   * faster (more garbage survives each round trip) and use more memory (bench/labels.ts)
   */
  batchSize?: number;
  /**
   * Applies the labels of issues whose frequency changed or that are marked stale (GitHub calls; each records its own
   * evaluation and clears the mark, as `applyIssueLabels` does). Without it the new evaluation is only stored. Issues
   * it leaves due, or all of the batch's when it throws, are due again after `retryAfterMs` (at least 1 ms).
   */
  applyChanged?: (issues: DecayedIssue[]) => Promise<void>;
  retryAfterMs?: number;
}

export interface SweepFigures {
  issues: number;
  links: number;
  changed: number;
  batches: number;
}

/**
 * The decay sweep's core (docs/labels.md, The decay sweep): re-evaluates every issue whose frequency could have changed since it was last
 * evaluated (`LabelEvaluation.dueAt <= now`), in batches, so `daily` becomes `weekly` and then nothing when reports stop.
 * Issues whose frequency is unchanged only get their next due time; changed ones, and ones marked stale, go to
 * `applyChanged`. Each evaluated issue's due time moves past `now` (or to null when it has no label left to lose), so
 * a stopped sweep resumes where it stopped, and memory stays at one batch. The worker around it, with each
 * repository's config as `rulesFor`, is src/jobs/label-sweep-worker.ts.
 */
export async function sweepDueIssues(
  store: SweepStore,
  now: Date,
  rulesFor: RulesFor,
  options: SweepOptions = {},
): Promise<SweepFigures> {
  const batchSize = options.batchSize ?? 500;
  const figures: SweepFigures = { issues: 0, links: 0, changed: 0, batches: 0 };
  const rules = new Map<bigint, FrequencyRules | null>();
  const readPage = async (after: number | null): Promise<Page | null> => {
    const { issues: due, next } = await store.readDue(now, after, batchSize);
    if (due.length === 0 && next === null) return null;
    const known: { issue: DueIssue; rules: FrequencyRules }[] = [];
    for (const issue of due) {
      let repositoryRules = rules.get(issue.repositoryId);
      if (repositoryRules === undefined)
        rules.set(issue.repositoryId, (repositoryRules = await rulesFor(issue.repositoryId, issue.stale)));
      // Its repository's rules are unknown now: left due, untouched, for the next sweep.
      if (repositoryRules !== null) known.push({ issue, rules: repositoryRules });
    }
    return { due, next, known, reports: await readReports(store, known, now) };
  };
  const readAhead = (after: number | null) => {
    const page = readPage(after);
    // Its failure is thrown where it is awaited; meanwhile (the page before is being written) it is not unhandled.
    page.catch(() => undefined);
    return page;
  };
  // Evaluations not yet recorded: the store writes several pages' at once when it asks to (SQLite).
  const pending: Evaluation[] = [];
  const recordPending = async () => {
    if (pending.length > 0) await store.record(pending.splice(0), now);
  };
  let next = readAhead(null);
  try {
    for (;;) {
      const page = await next;
      if (page === null) {
        await recordPending();
        return figures;
      }
      const { due, known, reports } = page;
      // The next page is read while this one is evaluated and written (on PostgreSQL by a second connection, so the
      // database reads one page and writes another at once): keyset pages do not overlap, and this page's write only
      // moves its issues past `now`, out of every page after it.
      next = page.next === null ? Promise.resolve(null) : readAhead(page.next);
      // A read that found none due among the ids it looked at: the sweep goes on after them.
      if (due.length === 0) continue;
      figures.batches++;
      figures.issues += due.length;
      for (const list of reports.values()) figures.links += list.length;
      const { evaluations, changed } = evaluate(known, reports, now);
      figures.changed += changed.length;
      if (changed.length === 0 || !options.applyChanged) {
        pending.push(...evaluations);
        if (pending.length >= (store.recordBatch ?? 0)) await recordPending();
        continue;
      }
      const changedIds = new Set(changed.map((issue) => issue.issueId));
      pending.push(...evaluations.filter((evaluation) => !changedIds.has(evaluation.issueId)));
      // Recorded before the applier's GitHub calls (a second each): a sweep stopped during them keeps them.
      await recordPending();
      try {
        await options.applyChanged(changed);
      } finally {
        // Not lost, and the loop ends: whatever the applier did not record is due again later, at least a
        // millisecond after `now`, so this sweep's pages (due up to `now`) do not meet it again.
        const retryAfterMs = Math.max(1, options.retryAfterMs ?? 5 * 60_000);
        await store.postpone([...changedIds], now, new Date(now.getTime() + retryAfterMs));
      }
    }
  } finally {
    // A sweep that stops (the applier threw) leaves no read running on the store its caller closes next.
    await next.catch(() => undefined);
  }
}

/** A page of due issues read ahead: those whose rules are known, and their reports. */
interface Page {
  due: DueIssue[];
  /** where the next read starts; null when this one reached the last evaluation */
  next: number | null;
  known: { issue: DueIssue; rules: FrequencyRules }[];
  reports: Map<number, Report[]>;
}

/**
 * The reports each issue's rules can still see: those posted within its longest window. An older one neither counts
 * nor can leave a window after `now` (`nextFrequencyChange`), so a big installation's years of links are not read.
 * One read per distinct window (one for most sweeps: every repository on the default rules).
 */
async function readReports(
  store: SweepStore,
  issues: readonly { issue: DueIssue; rules: FrequencyRules }[],
  now: Date,
): Promise<Map<number, Report[]>> {
  const bySince = new Map<number, number[]>();
  for (const { issue, rules } of issues) {
    const since = now.getTime() - Math.max(rules.daily.days, rules.weekly.days) * DAY_MS;
    const ids = bySince.get(since);
    if (ids) ids.push(issue.issueId);
    else bySince.set(since, [issue.issueId]);
  }
  const reports = new Map<number, Report[]>();
  for (const [since, ids] of bySince)
    for (const [issueId, list] of await store.readReports(ids, new Date(since))) reports.set(issueId, list);
  return reports;
}

function evaluate(
  issues: readonly { issue: DueIssue; rules: FrequencyRules }[],
  reports: ReadonlyMap<number, Report[]>,
  now: Date,
): { evaluations: Evaluation[]; changed: DecayedIssue[] } {
  const evaluations: Evaluation[] = [];
  const changed: DecayedIssue[] = [];
  for (const { issue, rules } of issues) {
    const seen = reports.get(issue.issueId) ?? [];
    const frequency = frequencyOf(seen, now, rules);
    evaluations.push({ issueId: issue.issueId, frequency, dueAt: nextFrequencyChange(seen, now, rules) });
    if (frequency !== issue.frequency || issue.stale) {
      changed.push({
        issueId: issue.issueId,
        repositoryId: issue.repositoryId,
        number: issue.number,
        from: issue.frequency as Frequency | null,
        to: frequency,
        stale: issue.stale,
      });
    }
  }
  return { evaluations, changed };
}
