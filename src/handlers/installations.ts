import type { Context } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import { purgeInstallationDeliveries } from "../store/deliveries.js";
import { purgeRepositories } from "../store/links.js";
import { InstallationPurged, purgeOf } from "../store/purged-installations.js";
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

/**
 * Whether a delivery belongs to an installation that was uninstalled and purged, or to a repository removed from its
 * installation and purged: then it is dropped, with a log line.
 */
export async function droppedAsPurged(deps: HandlerDeps, context: Context<EmitterWebhookEventName>): Promise<boolean> {
  const payload = context.payload as {
    installation?: { id?: unknown };
    repository?: { id?: unknown; full_name?: unknown };
  };
  const id = payload.installation?.id;
  if (typeof id !== "number") return false;
  const repository = payload.repository;
  const purge = await purgeOf(
    deps.prisma,
    BigInt(id),
    typeof repository?.id === "number"
      ? {
          id: BigInt(repository.id),
          fullName: typeof repository.full_name === "string" ? repository.full_name : String(repository.id),
        }
      : undefined,
  );
  if (purge === null) return false;
  logDropped(context, purge);
  return true;
}

/**
 * Runs a delivery's handler, dropping the delivery when its installation or repository turns out purged: found by a
 * write it made (RepositoryRows.ensure, which then wrote nothing), or, when `askFirst`, by a read before the handler
 * runs.
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
    logDropped(context, error);
  }
}

function logDropped(context: Context<EmitterWebhookEventName>, purge: InstallationPurged): void {
  context.log.info(
    purge.repository === undefined
      ? `${context.name} delivery ${context.id} of installation ${purge.installationId}, which was uninstalled and purged; dropped`
      : `${context.name} delivery ${context.id} of repository ${purge.repository.fullName} (installation ${purge.installationId}), which was removed from the installation and purged; dropped`,
  );
}

/**
 * `installation_repositories.removed`: the removed repositories' data is purged, where they are still the installation's
 * (purgeRepositories), and the removal recorded, so their deliveries from this installation processed later are
 * dropped until they are added to it again (liftRepositoryPurges).
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
