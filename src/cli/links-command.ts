import type { Database } from "../store/database.js";
import { listIssueLinks } from "../store/links.js";
import { readIssueArgument } from "./arguments.js";
import type { Output } from "./output.js";

export const LINKS_USAGE = "closeloop links <owner>/<repo>#<number> | <issue URL> [--json]";

const FROM_ADDRESS_BAR = "from an address-bar URL";

/** The `--json` shape of `closeloop links` (README, CLI). */
export interface LinkJson {
  provider: string;
  conversationId: string;
  url: string;
  source: string;
  linkedAt: string;
  /**
   * the conversation id was converted from the number in the helpdesk's address bar (Front's /open/<number>), which
   * Front does not officially support: worth checking that it is the right conversation
   */
  fromAddressBar: boolean;
}

/**
 * `closeloop links <issue>`: the issue named as `owner/repo#12` or by its URL on `githubHost`, read before the database
 * is opened, so a bad argument is exit 2 wherever the database is.
 */
export async function linksCommand(
  readyDatabase: () => Promise<Database>,
  args: string[],
  options: { json: boolean; githubHost: string },
  out: Output,
): Promise<number> {
  const { fullName, number } = readIssueArgument(args[0]!, options.githubHost, "links");
  const links = await listIssueLinks((await readyDatabase()).prisma, fullName, number);
  const rows: LinkJson[] = (links ?? []).map((link) => ({
    provider: link.provider,
    conversationId: link.conversationId,
    url: link.url,
    source: link.source,
    linkedAt: link.linkedAt.toISOString(),
    fromAddressBar: link.fromAddressBar,
  }));
  if (options.json) {
    out.json(rows);
    return 0;
  }
  if (links === null) {
    out.line(`${fullName}#${number}: no links (closeloop has seen no link on this issue)`);
    return 0;
  }
  out.line(`${fullName}#${number}: ${rows.length} linked conversation${rows.length === 1 ? "" : "s"}`);
  out.table(
    ["provider", "conversation", "source", "linked at", "url"],
    rows.map((row) => [
      row.provider,
      row.conversationId,
      row.source,
      row.linkedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      row.fromAddressBar ? `${row.url} (${FROM_ADDRESS_BAR})` : row.url,
    ]),
  );
  if (rows.some((row) => row.fromAddressBar)) {
    out.line(
      `${FROM_ADDRESS_BAR}: the id was converted from the number in Front's address bar, which Front does not officially support; check it opens the right conversation, or paste the conversation's "Copy link" instead`,
    );
  }
  return 0;
}
