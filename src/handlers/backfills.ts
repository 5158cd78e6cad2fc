import type { Context } from "probot";
import { requestBackfills } from "../store/backfills.js";
import { liftRepositoryPurges } from "../store/purged-installations.js";
import type { HandlerDeps } from "./deps.js";
import type { RepositoryRef } from "../domain/refs.js";

interface AddedRepository {
  id: number;
  name: string;
  full_name: string;
}

/** `installation.created`: each repository the app was given is backfilled (its existing issues and comments read). */
export async function onInstallationCreated(
  deps: HandlerDeps,
  context: Context<"installation.created">,
): Promise<void> {
  const { installation, repositories } = context.payload;
  await request(deps, context, installation.id, repositories ?? [], `installation ${installation.id} created`);
}

/**
 * `installation_repositories.added`: the added repositories are backfilled; one removed from the installation before
 * is taken again (its purge record lifted: src/store/purged-installations.ts).
 */
export async function onRepositoriesAdded(
  deps: HandlerDeps,
  context: Context<"installation_repositories.added">,
): Promise<void> {
  const { installation, repositories_added } = context.payload;
  await liftRepositoryPurges(
    deps.prisma,
    BigInt(installation.id),
    repositories_added.map((repository) => BigInt(repository.id)),
  );
  await request(
    deps,
    context,
    installation.id,
    repositories_added,
    `${repositories_added.length} repositories added to installation ${installation.id}`,
  );
}

async function request(
  deps: HandlerDeps,
  context: Context,
  installationId: number,
  added: readonly AddedRepository[],
  what: string,
): Promise<void> {
  const repositories: RepositoryRef[] = added.map((repository) => {
    const [owner = "", name = repository.name] = repository.full_name.split("/");
    return { id: BigInt(repository.id), installationId: BigInt(installationId), owner, name };
  });
  await requestBackfills(deps, repositories, new Date());
  context.log.info(
    `${what}: backfill requested for ${repositories.map((repository) => `${repository.owner}/${repository.name}`).join(", ") || "no repository"}`,
  );
  deps.backfillRequested?.();
}
