import type { Database } from "../../src/store/database.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import type { FakeIntercom } from "../providers/intercom/fake-server.js";
import { webhookExample } from "./github.js";
import { postGithubWebhook, TEST_PRIVATE_KEY, type RunningApp } from "./process.js";
import { conversation, issueRef } from "./reopen.js";

/** The real process reopening conversations (R1, R5): signed close deliveries, seeded links, its environment. */
export const WEBHOOK_SECRET = "reopen-e2e-webhook-secret";

export function closedEvent(number: number): string {
  const payload = webhookExample<Record<string, any>>("issues", "reopened");
  payload.action = "closed";
  payload.installation = { id: 77, node_id: "x" };
  payload.issue.number = number;
  payload.issue.id = 900_000 + number;
  payload.issue.html_url = `https://github.com/Codertocat/Hello-World/issues/${number}`;
  payload.issue.state = "closed";
  payload.issue.state_reason = "completed";
  payload.issue.closed_at = "2026-11-21T12:00:00Z";
  payload.issue.updated_at = "2026-11-21T12:00:00Z";
  return JSON.stringify(payload);
}

export async function deliverClose(app: RunningApp, number: number): Promise<void> {
  const body = closedEvent(number);
  const response = await postGithubWebhook(app, WEBHOOK_SECRET, "issues", body);
  if (response.status !== 200) throw new Error(`delivery of #${number} answered ${response.status}`);
}

/** Links seeded straight into the store (as capture would have), conversations seeded closed in the fake. */
export async function seedIssues(
  database: Database,
  intercom: FakeIntercom,
  issues: number,
  perIssue: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let number = 1; number <= issues; number++) {
    const links = Array.from({ length: perIssue }, (_, i) => conversation("intercom", number * 1000 + i));
    for (const link of links) intercom.seed({ id: link.conversationId, open: false });
    ids.push(...links.map((link) => link.conversationId));
    await applySourceChange(database, {
      issue: issueRef(number),
      source: { kind: "body", key: "" },
      event: { action: "created", version: new Date("2026-11-20T10:00:00Z") },
      createdAt: new Date("2026-11-20T10:00:00Z"),
      links,
    });
  }
  return ids;
}

export function appEnv(github: string, databaseUrl: string, intercom: FakeIntercom): Record<string, string> {
  return {
    APP_ID: "4242",
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET,
    GHE_HOST: github,
    GHE_PROTOCOL: "http",
    DATABASE_URL: databaseUrl,
    CLOSELOOP_REOPEN_LEASE_SECONDS: "4",
    ...intercom.env(),
  };
}

export function kill(app: RunningApp): Promise<void> {
  return new Promise((resolve) => {
    if (app.child.exitCode !== null || app.child.signalCode !== null) return resolve();
    app.child.once("exit", () => resolve());
    app.child.kill("SIGKILL");
  });
}

/** SIGTERM, as an orchestrator stops a replica; SIGKILL if it has not exited in `graceMs`. */
export async function stopApp(app: RunningApp, graceMs = 20_000): Promise<"stopped" | "killed"> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return "stopped";
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    app.stop().then(() => "stopped" as const),
    new Promise<"killed">((resolve) => (timer = setTimeout(() => resolve("killed"), graceMs))),
  ]);
  clearTimeout(timer);
  if (outcome === "killed") await kill(app);
  return outcome;
}

/**
 * How far the closes of `issues` issues with `jobs` reopen jobs in all have got, for `waitForProgress`: closes stored,
 * jobs done and summaries written, each one step; done when all are.
 */
export async function reopenProgress(
  database: Database,
  issues: number,
  jobs: number,
): Promise<{ done: boolean; progress: number }> {
  const closes = await database.prisma.issueClose.count();
  const done = await database.prisma.reopenJob.count({ where: { state: "done" } });
  const summaries = await database.prisma.issueClose.count({ where: { summaryCommentId: { not: null } } });
  const all = await database.prisma.reopenJob.count();
  return {
    done: closes === issues && all === jobs && done === jobs && summaries === issues,
    progress: closes + done + summaries,
  };
}
