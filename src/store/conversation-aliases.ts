import type { RecognisedLink } from "../domain/link.js";
import { linkKey } from "../domain/mentions.js";
import type { Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/*
 * A conversation a helpdesk merged into another is an alias of its survivor (src/store/merges.ts records them); links
 * that name an alias are stored as links to the survivor.
 */
type ConversationKey = Pick<RecognisedLink, "provider" | "account" | "conversationId">;

/** linkKey of each merged conversation among `links` → its survivor's id (src/domain/merged-conversations.ts). */
export async function survivorsOf(tx: Transaction, links: readonly ConversationKey[]): Promise<Map<string, string>> {
  const keys = new Map(links.map((link) => [linkKey(link), link]));
  if (keys.size === 0) return new Map();
  const tuples = [...keys.values()].map((link) => Sql.sql`(${link.provider}, ${link.account}, ${link.conversationId})`);
  const rows = await tx.$queryRaw<{ provider: string; account: string; aliasId: string; conversationId: string }[]>`
    SELECT "provider", "account", "aliasId", "conversationId" FROM "ConversationAlias"
    WHERE ("provider", "account", "aliasId") IN (VALUES ${Sql.join(tuples)})`;
  return new Map(rows.map((row) => [linkKey({ ...row, conversationId: row.aliasId }), row.conversationId]));
}
