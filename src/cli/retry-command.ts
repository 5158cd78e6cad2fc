import { z } from "zod";
import type { Database } from "../store/database.js";
import { retryJobs } from "../store/reopen-jobs.js";
import { retryEveryDead } from "../store/status.js";
import { parseWith, UsageError } from "./arguments.js";
import type { Output } from "./output.js";

export const RETRY_USAGE = "closeloop retry <job-id> | --dead";
const jobId = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, "expected a job id (a number from `closeloop jobs`)")
  .transform(Number);

/**
 * `closeloop retry <job-id>` / `retry --dead`: dead jobs run again, with a fresh attempt budget. A running server
 * picks them up within a second; the summary comment of their close is edited when they settle. `--dead` also
 * queues again the conversations whose reading for the labels (enrichment) died.
 */
export async function retryCommand(
  database: Database,
  args: string[],
  options: { dead: boolean; json: boolean },
  out: Output,
  error: (line: string) => void,
): Promise<number> {
  if (options.dead === args.length > 0 || args.length > 1) throw new UsageError(`usage: ${RETRY_USAGE}`);
  const which = options.dead ? { dead: true as const } : { id: parseWith(jobId, args[0], "retry") };
  if ("id" in which) {
    const outcome = await retryJobs(database.prisma, which);
    if ("problem" in outcome) {
      error(`closeloop: ${outcome.problem}`);
      return 1;
    }
    if (options.json) out.json(outcome);
    else out.line(`job ${which.id} queued again; a running server picks it up`);
    return 0;
  }
  const outcome = await retryEveryDead(database.prisma);
  const { linkNotes, enrichment } = outcome;
  if (options.json) out.json(outcome);
  else if (outcome.retried + linkNotes + enrichment === 0) out.line("no dead jobs");
  else {
    const parts = [];
    if (outcome.retried > 0) parts.push(`${outcome.retried} dead job${outcome.retried === 1 ? "" : "s"}`);
    if (linkNotes > 0) parts.push(`${linkNotes} link note${linkNotes === 1 ? "" : "s"}`);
    if (enrichment > 0) parts.push(`${enrichment} conversation read${enrichment === 1 ? "" : "s"} for labels`);
    out.line(`${parts.join(" and ")} queued again; a running server picks them up`);
  }
  return 0;
}
