import type { Context } from "probot";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import { purgeInstallationDeliveries } from "../store/deliveries.js";
import { requestBackfills } from "../store/backfills.js";
import { purgeRepositories } from "../store/links.js";
import { InstallationPurged, liftRepositoryPurges, purgeOf } from "../store/purged-installations.js";
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
  if (purge === null || (await includedAgain(deps, context, purge))) return false;
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
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle();
    } catch (error) {
      if (!(error instanceof InstallationPurged)) throw error;
      // Run again once, after a removal's record was lifted: its write now goes through.
      if (attempt === 1 && (await includedAgain(deps, context, error))) continue;
      return logDropped(context, error);
    }
  }
}

/**
 * Whether a delivery of a removed repository shows the installation includes it again: its event (a comment's or the
 * issue's `updated_at`) is later than the removal's record, so GitHub sent it after the removal was processed, which it
 * does only for a repository the installation includes. The repository was added back without an
 * `installation_repositories.added` closeloop processed yet, or that delivery was processed before the removal's.
 * The record is lifted (unless a later removal replaced it) and the delivery taken. An event from before the removal,
 * processed late, is not: that is the delivery the record is for.
 */
/**
 * How much later than the removal's record (this machine's clock) an event (GitHub's clock) must be dated to show the
 * installation includes the repository again: a comment made a moment before the removal, on a GitHub whose clock runs
 * ahead of this machine's, is not taken for one after it. Deliveries of a repository added back within this time of
 * its removal are dropped, until one dated later lifts the record and asks for the backfill that reads them again.
 */
const CLOCK_SKEW_MS = 60_000;

async function includedAgain(
  deps: HandlerDeps,
  context: Context<EmitterWebhookEventName>,
  purge: InstallationPurged,
): Promise<boolean> {
  const at = eventTime(context.payload as EventTimes);
  if (
    purge.repository === undefined ||
    purge.purgedAt === undefined ||
    at === undefined ||
    at.getTime() <= purge.purgedAt.getTime() + CLOCK_SKEW_MS
  )
    return false;
  await liftRepositoryPurges(deps.prisma, purge.installationId, [purge.repository.id], at);
  // The removal purged the repository's issues and links, and with them a backfill its re-adding may have asked for
  // (processed before the removal): its issues are read again, as an `added` would have them.
  const [owner = "", name = purge.repository.fullName] = purge.repository.fullName.split("/");
  await requestBackfills(
    deps,
    [{ id: purge.repository.id, installationId: purge.installationId, owner, name }],
    new Date(),
  );
  deps.backfillRequested?.();
  context.log.info(
    `${context.name} delivery ${context.id} of repository ${purge.repository.fullName} (installation ${purge.installationId}): its event at ${at.toISOString()} is later than the repository's removal at ${purge.purgedAt.toISOString()}, so the installation includes it again; taken, and its backfill requested`,
  );
  return true;
}

/** The times a payload dates its event by. */
interface EventTimes {
  comment?: { updated_at?: unknown };
  issue?: { updated_at?: unknown };
}

/** The latest time the payload gives its event, if any. */
function eventTime(payload: EventTimes): Date | undefined {
  const times = [payload.comment?.updated_at, payload.issue?.updated_at]
    .map((value) => (typeof value === "string" ? Date.parse(value) : NaN))
    .filter((time) => Number.isFinite(time));
  return times.length === 0 ? undefined : new Date(Math.max(...times));
}

function logDropped(context: Context<EmitterWebhookEventName>, purge: InstallationPurged): void {
  context.log.info(
    purge.repository === undefined
      ? `${context.name} delivery ${context.id} of installation ${purge.installationId}, which was uninstalled and purged; dropped`
      : `${context.name} delivery ${context.id} of repository ${purge.repository.fullName} (installation ${purge.installationId}), which was removed from the installation and purged; dropped`,
  );
}

/**
 * `installation_repositories.removed`: the removed repositories' data is purged, where they are still the
 * installation's (purgeRepositories), and the removal recorded, so their deliveries from this installation processed
 * later are dropped until they are added to it again (liftRepositoryPurges).
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
