import type { ConversationRef, HelpdeskClient } from "../../src/providers/provider.js";
import type { FakeHelpdesk } from "../fakes/fake-helpdesk.js";

/**
 * Reads conversations one after another through one client, for the tests that two conversations of one team cost
 * one team read: the teams read, and the paths of every GET the fake answered (token requests are POSTs).
 */
export async function readInTurn(client: HelpdeskClient, http: FakeHelpdesk, refs: readonly ConversationRef[]) {
  const teams: (string | null)[] = [];
  for (const ref of refs) teams.push((await client.readConversation(ref)).team);
  const reads = http.requests.filter((request) => request.method === "GET").map((request) => request.path);
  return { teams, reads };
}
