import { formatAge } from "../domain/answers.js";
import { listWaiting } from "../store/answers.js";
import type { Database } from "../store/database.js";
import type { Output } from "./output.js";

export const WAITING_USAGE = "closeloop waiting [--json]";

/** The `--json` shape of `closeloop waiting` (README, Loop closed; SPEC §14). */
export interface WaitingJson {
  provider: string;
  conversationId: string;
  url: string;
  /** owner/repo#n */
  issue: string;
  reopenedAt: string;
  waitingSeconds: number;
  reminded: boolean;
}

/** Reopened conversations no agent has answered yet, oldest reopen first (docs/answers.md). */
export async function waitingCommand(
  database: Database,
  json: boolean,
  out: Output,
  now = new Date(),
): Promise<number> {
  const rows: WaitingJson[] = (await listWaiting(database.prisma)).map((watch) => ({
    provider: watch.provider,
    conversationId: watch.conversationId,
    url: watch.url,
    issue: watch.issue,
    reopenedAt: watch.reopenedAt.toISOString(),
    waitingSeconds: Math.max(0, Math.floor((now.getTime() - watch.reopenedAt.getTime()) / 1000)),
    reminded: watch.reminded,
  }));
  if (json) {
    out.json(rows);
    return 0;
  }
  if (rows.length === 0) {
    out.line("No reopened conversation is waiting for an agent.");
    return 0;
  }
  out.line(`${rows.length} reopened conversation${rows.length === 1 ? "" : "s"} waiting for an agent, oldest first`);
  out.table(
    ["waiting", "provider", "conversation", "issue", "reminded", "url"],
    rows.map((row) => [
      formatAge(row.waitingSeconds * 1000),
      row.provider,
      row.conversationId,
      row.issue,
      row.reminded ? "yes" : "no",
      row.url,
    ]),
  );
  return 0;
}
