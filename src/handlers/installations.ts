import type { Context } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import { purgeInstallationDeliveries } from "../store/deliveries.js";
import { purgeRepositories } from "../store/links.js";
import { InstallationPurged, isPurgedInstallation } from "../store/purged-installations.js";
import type { HandlerDeps } from "./deps.js";

/**
 * `installation.deleted`: everything stored for the installation is purged, its dead deliveries included, and it is
 * recorded as purged with its repositories' deletion, so its deliveries still in the inbox are dropped (droppedAsPurged,
 * or their first write: RepositoryRows.ensure) instead of re-creating rows. This event itself is never dropped: a
 * retry of a purge that failed half-way finishes it.
 */
export async function onInstallationDeleted(
  deps: HandlerDeps,
  context: Context<"installation.deleted">,
): Promise<void> {
  const { installation } = context.payload;
  const id = BigInt(installation.id);
  const purged = await purgeRepositories(deps, { installationId: id, purgedAt: new Date() });
  const deliveries = await purgeInstallationDeliveries(deps.prisma, id);
  context.log.info(
    `installation ${installation.id} (${installation.account && "login" in installation.account ? installation.account.login : "unknown account"}) deleted; purged ${purged} repositories and ${deliveries} dead deliveries`,
  );
}

/** Whether a delivery belongs to an installation that was uninstalled and purged: then it is dropped, with a log line. */
export async function droppedAsPurged(deps: HandlerDeps, context: Context<EmitterWebhookEventName>): Promise<boolean> {
  const id = (context.payload as { installation?: { id?: unknown } }).installation?.id;
  if (typeof id !== "number" || !(await isPurgedInstallation(deps.prisma, BigInt(id)))) return false;
  logDropped(context, id);
  return true;
}

/**
 * Runs a delivery's handler, dropping the delivery when its installation turns out purged: found by a write it made
 * (RepositoryRows.ensure, which then wrote nothing), or, when `askFirst`, by a read before the handler runs.
 */
export async function unlessPurged<C extends Context<EmitterWebhookEventName>>(
  deps: HandlerDeps,
  context: C,
  askFirst: boolean,
  handle: () => Promise<void>,
): Promise<void> {
  if (askFirst && (await droppedAsPurged(deps, context))) return;
  try {
    await handle();
  } catch (error) {
    if (!(error instanceof InstallationPurged)) throw error;
    logDropped(context, error.installationId);
  }
}

function logDropped(context: Context<EmitterWebhookEventName>, id: number | bigint): void {
  context.log.info(
    `${context.name} delivery ${context.id} of installation ${id}, which was uninstalled and purged; dropped`,
  );
}

/**
 * `installation_repositories.removed`: the removed repositories' data is purged, where they are still the installation's
 * (purgeRepositories).
 */
export async function onRepositoriesRemoved(
  deps: HandlerDeps,
  context: Context<"installation_repositories.removed">,
): Promise<void> {
  const removed = context.payload.repositories_removed;
  const purged = await purgeRepositories(deps, {
    installationId: BigInt(context.payload.installation.id),
    ids: removed.map((repository) => BigInt(repository.id)),
  });
  context.log.info(
    `${removed.length} repositories removed from installation ${context.payload.installation.id}; purged ${purged}`,
  );
}
