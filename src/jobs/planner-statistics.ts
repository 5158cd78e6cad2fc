import type { Logger } from "probot";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/client.js";
import { refreshPlannerStatistics } from "../store/statistics.js";
import { errorSummary } from "./error-summary.js";

/**
 * SQLite's planner statistics refreshed for the server (`refreshPlannerStatistics`): when it starts, after each label
 * sweep. A failure is logged, not thrown: the statistics only pick plans, and the next sweep tries again, so a database
 * busy at start (a CLI writing beside it) does not keep the server from serving. A refresh that analysed a table (never
 * analysed, or grown tenfold since) holds the event loop and the write lock for as long as it reads it, so one that
 * took a second or more is logged with its time.
 */
export async function keepPlannerStatistics(prisma: Prisma, engine: Engine, log: Logger, when: string): Promise<void> {
  if (engine !== "sqlite") return;
  const began = performance.now();
  try {
    await refreshPlannerStatistics(prisma, engine);
  } catch (failure) {
    log.warn(
      { err: failure },
      `${when}: SQLite's planner statistics not refreshed (${errorSummary(failure)}); tried again after the next label sweep`,
    );
    return;
  }
  const seconds = (performance.now() - began) / 1000;
  if (seconds >= 1)
    log.info(`${when}: SQLite's planner statistics refreshed in ${seconds.toFixed(1)}s (a table new or grown tenfold)`);
}
