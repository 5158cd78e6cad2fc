import type { Context } from "probot";
import { purgeRepositories } from "../store/links.js";
import type { HandlerDeps } from "./deps.js";

/** `installation.deleted`: everything stored for the installation is purged. */
export async function onInstallationDeleted(deps: HandlerDeps, context: Context<"installation.deleted">): Promise<void> {
  const { installation } = context.payload;
  const purged = await purgeRepositories(deps.prisma, { installationId: BigInt(installation.id) });
  context.log.info(`installation ${installation.id} (${installation.account && "login" in installation.account ? installation.account.login : "unknown account"}) deleted; purged ${purged} repositories`);
}

/** `installation_repositories.removed`: the removed repositories' data is purged. */
export async function onRepositoriesRemoved(deps: HandlerDeps, context: Context<"installation_repositories.removed">): Promise<void> {
  const removed = context.payload.repositories_removed;
  const purged = await purgeRepositories(deps.prisma, { ids: removed.map((repository) => BigInt(repository.id)) });
  context.log.info(`${removed.length} repositories removed from installation ${context.payload.installation.id}; purged ${purged}`);
}
