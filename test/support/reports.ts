import type { IssueRef, RepositoryRef } from "../../src/domain/refs.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import type { DatabaseHandle } from "../../src/store/database.js";

/**
 * One customer report, as a delivery stores it: a comment made at `at` on open issue `number` of `repository`, linking
 * Zendesk ticket `ticket` (the comment is keyed by the ticket, so each call is a comment of its own); `issue`: what
 * else the payload shows of the issue (its state, the dashboard's details).
 */
export async function reportTicket(
  database: DatabaseHandle,
  repository: RepositoryRef,
  number: number,
  ticket: string,
  at: Date,
  issue: Partial<Pick<IssueRef, "state" | "details">> = {},
): Promise<void> {
  await applySourceChange(database, {
    issue: { repository, number, githubId: BigInt(number), state: "open", ...issue },
    source: { kind: "comment", key: ticket },
    event: { action: "created", version: at },
    createdAt: at,
    links: [
      {
        provider: "zendesk",
        account: "acme",
        conversationId: ticket,
        url: `https://acme.zendesk.com/agent/tickets/${ticket}`,
      },
    ],
  });
}
