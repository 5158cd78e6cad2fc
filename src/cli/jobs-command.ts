import { z } from "zod";
import { countEveryKind } from "../jobs/job-kinds.js";
import type { Database } from "../store/database.js";
import { JOB_STATES } from "../store/helpdesk-jobs.js";
import { listJobs } from "../store/reopen-jobs.js";
import { parseWith } from "./arguments.js";
import type { Output } from "./output.js";
import { describeKind } from "./status-command.js";

export const JOBS_USAGE = `closeloop jobs [--state ${JOB_STATES.join("|")}] [--json]`;

/** The `--json` shape of `closeloop jobs`: one entry per reopen job, oldest first. */
export interface JobJson {
  id: number;
  state: string;
  provider: string;
  conversationId: string;
  url: string;
  /** the follow-up conversation made in place of a closed one (a `closed` Zendesk ticket), null when none */
  followUpId: string | null;
  /** owner/repo#number */
  issue: string;
  attempts: number;
  /** the note step succeeded (a retry does not post it again) */
  noteDone: boolean;
  lastError: string | null;
  lastStatus: number | null;
  nextAttemptAt: string;
  createdAt: string;
  finishedAt: string | null;
}

const stateOption = z.enum(JOB_STATES, { error: `expected one of ${JOB_STATES.join(", ")}` });

/** `closeloop jobs`: `--state` is read before the database is opened, so a bad one is exit 2 wherever the database is. */
export async function jobsCommand(
  readyDatabase: () => Promise<Database>,
  options: { state: string | undefined; json: boolean },
  out: Output,
): Promise<number> {
  const state = options.state === undefined ? undefined : parseWith(stateOption, options.state, "jobs --state");
  const database = await readyDatabase();
  const rows: JobJson[] = (await listJobs(database.prisma, { state })).map((job) => ({
    id: job.id,
    state: job.state,
    provider: job.provider,
    conversationId: job.conversationId,
    url: job.url,
    followUpId: job.followUpId,
    issue: job.issue,
    attempts: job.attempts,
    noteDone: job.noteDoneAt !== null,
    lastError: job.lastError,
    lastStatus: job.lastStatus,
    nextAttemptAt: job.nextAttemptAt.toISOString(),
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  }));
  if (options.json) {
    out.json(rows);
    return 0;
  }
  const what = state === undefined ? "reopen job" : `${state} reopen job`;
  out.line(`${rows.length} ${what}${rows.length === 1 ? "" : "s"}`);
  if (rows.length > 0) reopenTable(out, rows);
  // Every other kind of job (the registry), by state: their rows are not reopen jobs, `closeloop status` lists them.
  if (state === "done") return 0;
  out.line("every kind of job:");
  for (const kind of await countEveryKind(database.prisma)) out.line(`  ${describeKind(kind, state)}`);
  return 0;
}

function reopenTable(out: Output, rows: JobJson[]): void {
  out.table(
    ["id", "state", "provider", "conversation", "follow-up", "issue", "attempts", "last error"],
    rows.map((row) => [
      String(row.id),
      row.state,
      row.provider,
      row.conversationId,
      row.followUpId ?? "",
      row.issue,
      String(row.attempts),
      row.lastError ?? "",
    ]),
  );
}
