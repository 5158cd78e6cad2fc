import { z } from "zod";
import type { Database } from "../store/database.js";
import { retryJobs } from "../store/reopen-jobs.js";
import { JOB_KINDS, reviveEveryDead } from "../jobs/job-kinds.js";
import { parseWith, UsageError } from "./arguments.js";
import { CommandFailed } from "./command.js";
import type { Output } from "./output.js";

export const RETRY_USAGE = "closeloop retry <job-id> | --dead";
const jobId = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, "expected a job id (a number from `closeloop jobs`)")
  .transform(Number);

/**
 * `closeloop retry <job-id>` / `retry --dead`: dead jobs run again, with a fresh attempt budget. A running server
 * picks them up within a second; the summary comment of their close is edited when they settle. `--dead` does so for
 * the dead rows of every kind of job (src/jobs/job-kinds.ts): deliveries, link notes, reads, summaries, backfills.
 */
export async function retryCommand(
  readyDatabase: () => Promise<Database>,
  args: string[],
  options: { dead: boolean; json: boolean },
  out: Output,
): Promise<number> {
  if (options.dead === args.length > 0) throw new UsageError(`usage: ${RETRY_USAGE}`);
  const which = options.dead ? null : { id: parseWith(jobId, args[0], "retry") };
  const database = await readyDatabase();
  if (which !== null) {
    const outcome = await retryJobs(database.prisma, which);
    if ("problem" in outcome) throw new CommandFailed(outcome.problem);
    if (options.json) out.json(outcome);
    else out.line(`job ${which.id} queued again; a running server picks it up`);
    return 0;
  }
  const outcome = await reviveEveryDead(database.prisma);
  if (options.json) out.json(outcome);
  else if (outcome.retried === 0) out.line("no dead jobs");
  else {
    const parts = JOB_KINDS.filter((kind) => (outcome.kinds[kind.id] ?? 0) > 0).map(
      (kind) => `${kind.title} ${outcome.kinds[kind.id]}`,
    );
    out.line(`queued again: ${parts.join(", ")}; a running server picks them up`);
  }
  return 0;
}
