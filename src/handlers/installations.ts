import type { Context } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import { purgeInstallationDeliveries } from "../store/deliveries.js";
import { purgeRepositories } from "../store/links.js";
import { isPurgedInstallation, recordPurgedInstallation } from "../store/purged-installations.js";
import type { HandlerDeps } from "./deps.js";

/**
 * `installation.deleted`: everything stored for the installation is purged, its dead deliveries included, and it is
 * recorded as purged first, so its deliveries still in the inbox are dropped (droppedAsPurged) instead of re-creating
 * rows. This event itself is never dropped: a retry of a purge that failed half-way finishes it.
 */
export async function onInstallationDeleted(
  deps: HandlerDeps,
  context: Context<"installation.deleted">,
): Promise<void> {
  const { installation } = context.payload;
  const id = BigInt(installation.id);
  await recordPurgedInstallation(deps.prisma, id, new Date());
  const purged = await purgeRepositories(deps, { installationId: id });
  const deliveries = await purgeInstallationDeliveries(deps.prisma, id);
  context.log.info(
    `installation ${installation.id} (${installation.account && "login" in installation.account ? installation.account.login : "unknown account"}) deleted; purged ${purged} repositories and ${deliveries} dead deliveries`,
  );
}

/** Whether a delivery belongs to an installation that was uninstalled and purged: then it is dropped, with a log line. */
export async function droppedAsPurged(deps: HandlerDeps, context: Context<EmitterWebhookEventName>): Promise<boolean> {
  const id = (context.payload as { installation?: { id?: unknown } }).installation?.id;
  if (typeof id !== "number" || !(await isPurgedInstallation(deps.prisma, BigInt(id)))) return false;
  context.log.info(
    `${context.name} delivery ${context.id} of installation ${id}, which was uninstalled and purged; dropped`,
  );
  return true;
}

/** `installation_repositories.removed`: the removed repositories' data is purged. */
export async function onRepositoriesRemoved(
  deps: HandlerDeps,
  context: Context<"installation_repositories.removed">,
): Promise<void> {
  const removed = context.payload.repositories_removed;
  const purged = await purgeRepositories(deps, { ids: removed.map((repository) => BigInt(repository.id)) });
  context.log.info(
    `${removed.length} repositories removed from installation ${context.payload.installation.id}; purged ${purged}`,
  );
}
