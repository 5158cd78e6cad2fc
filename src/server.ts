import type { ApplicationFunction } from "probot";
import { closeloopApp, handlesEvent } from "./app.js";
import {
  dashboardClient,
  EnvError,
  githubApiUrl,
  githubHost,
  githubWebUrl,
  hasAppCredentials,
  parseEnv,
  publicUrl,
  type Env,
} from "./config/env.js";
import { RepoConfigCache } from "./github/repo-config-cache.js";
import { loadDotEnv } from "./config/dotenv.js";
import { createLog } from "./log.js";
import { healthRoutes } from "./http/health.js";
import { helpdeskWebhookRoutes, HELPDESK_DELIVERY_PREFIX } from "./http/helpdesk-webhooks.js";
import { onHelpdeskDelivery } from "./handlers/helpdesk-events.js";
import { metricsRoute } from "./http/metrics-route.js";
import { startServer } from "./http/probot-server.js";
import { startSetupFlow } from "./http/setup-flow.js";
import { BodyBudget, IN_FLIGHT_BODY_BYTES } from "./http/request-body.js";
import { githubInbox } from "./http/webhook-inbox.js";
import type { InstallationLabelDeps } from "./labels/installation-labels.js";
import { helpdeskLanes } from "./jobs/helpdesk-lanes.js";
import { Workers } from "./jobs/workers.js";
import { ProviderConfigError } from "./providers/provider-settings.js";
import {
  configuredWebhooks,
  enabledProviders,
  type ConfiguredWebhook,
  type EnabledProvider,
} from "./providers/registry.js";
import { urlMatchers } from "./providers/url-matchers.js";
import type { ProviderId } from "./domain/link.js";
import { openDatabase, type Database } from "./store/database.js";
import { keepPlannerStatistics } from "./jobs/planner-statistics.js";
import { DeliveryInbox } from "./http/delivery-inbox.js";
import { openDeliveryWriter } from "./store/delivery-writer.js";
import { MigrationError } from "./store/migrations.js";
import { requestSweep } from "./store/sweep-schedule.js";
import { RepositoryPermissions } from "./github/permissions.js";
import { loadSecretKey, readCustomerHashKey } from "./store/secrets.js";
import { readStatus } from "./operations/status.js";
import { RepositoryAccess } from "./dashboard/access.js";
import { CALLBACK_PATH } from "./dashboard/auth.js";
import { dashboardApp, dashboardHandler } from "./dashboard/routes.js";
import { openSessionKeys, type SessionKeys } from "./dashboard/session-keys.js";
import type { SecretKey } from "./domain/secret-key.js";
import { readSidebarRepositories, type SidebarRepositories } from "./domain/sidebar-input.js";
import { conversationChecker } from "./sidebar/conversation-check.js";
import { reopenRulesReader } from "./sidebar/reopen-rules.js";
import { enabledSidebars, type EnabledSidebar } from "./sidebar/registry.js";
import { sidebarApp, sidebarHandler } from "./sidebar/routes.js";
import { SidebarConfigError } from "./sidebar/sidebar.js";
import { SidebarTokens } from "./sidebar/tokens.js";
import { GithubMemory } from "./github/memory.js";

/**
 * Process entry (`npm start`): validate the environment, migrate the database under a lock, then serve webhooks;
 * without GitHub App credentials, run the setup flow (src/http/setup-flow.tsx) to register the app from app.yml.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const env = parseEnv();
  const providers = enabledProviders(process.env);
  const webhooks = configuredWebhooks(process.env);
  const sidebars = enabledSidebars(process.env, providers);
  const sidebarRepositories = readSidebarRepositories(process.env.CLOSELOOP_SIDEBAR_REPOSITORIES);
  if (sidebarRepositories !== null && "problem" in sidebarRepositories)
    throw new EnvError(`invalid environment: CLOSELOOP_SIDEBAR_REPOSITORIES: ${sidebarRepositories.problem}`);
  const log = await createLog(process.env);
  if (!hasAppCredentials(env)) {
    // As Probot: a production deployment is given its app, it does not register one.
    if (process.env.NODE_ENV === "production")
      throw new EnvError(
        "invalid environment: APP_ID: no GitHub App credentials (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET); " +
          "the setup flow that registers the app does not run when NODE_ENV=production",
      );
    await startSetupFlow({ env, source: process.env, log });
    return;
  }
  const database = await openDatabase(env.DATABASE_URL, { migrate: true });
  // Before serving: the first start on a large file never analysed takes its time once (README, Sizing).
  await keepPlannerStatistics(database.prisma, database.engine, log, "closeloop");
  let workers: Workers | undefined;
  const secretKey = await loadSecretKey(database.prisma, env.CLOSELOOP_SECRET_KEY);
  if (secretKey.source === "database")
    log.warn(
      "closeloop: CLOSELOOP_SECRET_KEY is not set, so the key that signs dashboard sessions and encrypts their GitHub tokens is stored in the database: " +
        "anyone with a copy of the database can forge a session and read those tokens. Set CLOSELOOP_SECRET_KEY (`openssl rand -base64 32`; README, Security)",
    );
  const customer = await readCustomerHashKey(database.prisma, secretKey);
  if (customer.source === "database")
    log.info("closeloop: customer ids keep being hashed with the key this database stored before CLOSELOOP_SECRET_KEY");
  const sessionKeys = dashboardClient(env) ? await openSessionKeys(database.prisma, secretKey) : null;
  const keys = { secretKey, customerKey: customer.key, sessionKeys };
  // One budget for the bytes of webhook bodies being read at once, GitHub's and the helpdesks' (README, HTTP).
  const bodyBudget = new BodyBudget(IN_FLIGHT_BODY_BYTES);
  const sidebar = { sidebars, repositories: sidebarRepositories as SidebarRepositories | null };
  // The inbox every webhook is stored in before its 200; the workers, started with the app, are woken by each write.
  const inbox = new DeliveryInbox(openDeliveryWriter(database.target, log), () => workers?.wake("delivery"));
  const server = await startServer(
    serve(env, database, keys, { bodyBudget, inbox }, providers, webhooks, sidebar, (started) => (workers = started)),
    log,
    process.env,
    {
      budget: bodyBudget,
      begun: () => inbox.begun(),
      // parseEnv requires WEBHOOK_SECRET with APP_ID
      receive: githubInbox(env.WEBHOOK_SECRET ?? "", handlesEvent, (delivery) => inbox.store(delivery)),
    },
  );
  const stop = async (signal: string) => {
    console.log(`closeloop: ${signal}, stopping`);
    await server.stop();
    await workers?.stop();
    await database.close();
    process.exit(0);
  };
  // Both end the process the same way: a container's stop sends SIGTERM, Ctrl-C on `npm start` SIGINT.
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

function serve(
  env: Env,
  database: Database,
  keys: { secretKey: SecretKey; customerKey: string; sessionKeys: SessionKeys | null },
  { bodyBudget, inbox }: { bodyBudget: BodyBudget; inbox: DeliveryInbox },
  providers: Map<ProviderId, EnabledProvider>,
  webhooks: Map<ProviderId, ConfiguredWebhook>,
  sidebar: {
    sidebars: Map<ProviderId, EnabledSidebar>;
    repositories: SidebarRepositories | null;
  },
  onWorkers: (workers: Workers) => void,
): ApplicationFunction {
  return (app, options) => {
    app.log.info(
      `closeloop: database ${database.target.display}; helpdesks: ${providers.size > 0 ? [...providers.keys()].join(", ") : "none configured"}` +
        `; helpdesk webhooks: ${webhooks.size > 0 ? [...webhooks.keys()].join(", ") : "none configured"}` +
        (env.CLOSELOOP_DRY_RUN ? "; dry run: no change is made on GitHub or in helpdesks" : ""),
    );
    const configs = new RepoConfigCache(database, app.log);
    // Shared by the handlers and every label writer: labels a payload showed, project ids, writes in flight.
    const memory = new GithubMemory();
    const github = (installationId: number) => app.auth(installationId);
    const labels: InstallationLabelDeps = {
      prisma: database.prisma,
      github,
      configs,
      memory,
      log: app.log,
      dryRun: env.CLOSELOOP_DRY_RUN,
    };
    // Labels are applied off the delivery path: handlers and enrichment mark them wanted, the markings worker applies them.
    const labelsWanted = (): void => workers.wake("labels");
    closeloopApp({
      prisma: database.prisma,
      repositoryRows: database.repositoryRows,
      configs,
      memory,
      matchers: urlMatchers,
      appId: Number(env.APP_ID),
      permissions: new RepositoryPermissions(),
      githubApp: () => app.auth(),
      reopenQueued: () => workers.wake("reopen"),
      linkNotesQueued: (helpdesks) => workers.wake("linkNote", helpdesks),
      labelsWanted,
      backfillRequested: () => workers.wake("backfill"),
      sweepRequested: async () => {
        await requestSweep(database.prisma);
        workers.wake("sweep");
      },
      dryRun: env.CLOSELOOP_DRY_RUN,
    })(app, options);
    const receive = app.webhooks.receive.bind(app.webhooks);
    const helpdeskEvents = {
      ...labels,
      repositoryRows: database.repositoryRows,
      githubHost: githubHost(env),
      labelsWanted,
    };
    const workers: Workers = new Workers({
      ...labels,
      repositoryRows: database.repositoryRows,
      engine: database.engine,
      target: database.target,
      matchers: urlMatchers,
      appId: Number(env.APP_ID),
      sweepIntervalMs: env.CLOSELOOP_SWEEP_INTERVAL_MINUTES * 60_000,
      dispatch: (delivery) =>
        delivery.name.startsWith(HELPDESK_DELIVERY_PREFIX)
          ? onHelpdeskDelivery(helpdeskEvents, delivery)
          : receive({ id: delivery.id, name: delivery.name, payload: JSON.parse(delivery.payload) } as Parameters<
              typeof receive
            >[0]),
      ingestActive: (quietMs, requestsBegun) => inbox.receiving(quietMs, requestsBegun),
      lanes: helpdeskLanes(providers),
      helpdesk: {
        dryRun: env.CLOSELOOP_DRY_RUN,
        appId: Number(env.APP_ID),
        leaseMs: env.CLOSELOOP_REOPEN_LEASE_SECONDS * 1000,
        // Answers after a reopen come by webhook where one is set up; the other helpdesks are read (docs/answers.md).
        webhooks: new Set(webhooks.keys()),
        issueUrl: (owner, repo, number) => `${githubWebUrl(env)}/${owner}/${repo}/issues/${number}`,
        enrichment: {
          // Customer ids are stored only as HMACs under a key of their own, derived from the secret key (docs/labels.md).
          customerKey: keys.customerKey,
          // recordEnrichment marked the issues' labels wanted.
          applyLabels: async () => labelsWanted(),
        },
      },
    });
    workers.start();
    onWorkers(workers);
    options.addHandler(healthRoutes(database, app.log));
    options.addHandler(metricsRoute(database.prisma, app.log, { token: env.CLOSELOOP_METRICS_TOKEN }));
    options.addHandler(
      helpdeskWebhookRoutes(webhooks, (delivery) => inbox.store(delivery), app.log, { budget: bodyBudget }),
    );
    if (sidebar.sidebars.size > 0) {
      const sidebarGithub = { app: () => app.auth(), installation: (id: number) => app.auth(id) };
      options.addHandler(
        sidebarHandler(
          sidebarApp({
            prisma: database.prisma,
            repositoryRows: database.repositoryRows,
            github: sidebarGithub,
            githubUrl: githubWebUrl(env),
            githubHost: githubHost(env),
            repositories: sidebar.repositories,
            checkConversation: conversationChecker(providers),
            reopenRules: reopenRulesReader(configs, sidebarGithub),
            canReopen: (helpdesk) => providers.has(helpdesk),
            labelsWanted,
            log: app.log,
            sidebars: sidebar.sidebars,
            tokens: new SidebarTokens(keys.secretKey.deriveKey("sidebar-tokens")),
          }),
        ),
      );
      app.log.info(
        `closeloop: sidebars at ${publicUrl(env)}/closeloop/sidebar/: ${[...sidebar.sidebars.keys()].join(", ")}` +
          (sidebar.repositories === null ? "; creating issues is off (CLOSELOOP_SIDEBAR_REPOSITORIES unset)" : ""),
      );
    }
    const client = dashboardClient(env);
    if (client && keys.sessionKeys) {
      const base = publicUrl(env);
      options.addHandler(
        dashboardHandler(
          dashboardApp({
            prisma: database.prisma,
            client,
            publicUrl: base,
            apiUrl: githubApiUrl(env),
            githubUrl: githubWebUrl(env),
            admins: env.CLOSELOOP_ADMINS ?? [],
            keys: keys.sessionKeys,
            access: new RepositoryAccess(githubApiUrl(env)),
            log: app.log,
            readStatus: async () => ({
              ...(await readStatus(database, process.env)).status,
              sidebars: [...sidebar.sidebars.keys()],
            }),
            reopenQueued: () => workers.wake("reopen"),
          }),
        ),
      );
      app.log.info(
        `closeloop: dashboard at ${base}/closeloop/ (OAuth callback ${base}${CALLBACK_PATH}; admins: ${env.CLOSELOOP_ADMINS?.join(", ") || "none"})`,
      );
    } else {
      app.log.info(
        "closeloop: dashboard off: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the app's OAuth client; Probot's setup flow writes them to .env) to serve it at /closeloop/",
      );
    }
  };
}

main().catch((error: unknown) => {
  // Known start-up failures get one line that says what to fix; anything else keeps its stack.
  if (
    error instanceof EnvError ||
    error instanceof MigrationError ||
    error instanceof ProviderConfigError ||
    error instanceof SidebarConfigError
  )
    console.error(`closeloop: ${error.message}`);
  else if ((error as { code?: unknown }).code === "EADDRINUSE")
    // Probot has logged the error; the last line says what to do, as for a bad variable.
    console.error(
      `closeloop: cannot start: port ${String((error as { port?: unknown }).port)} is in use: stop what listens there or set PORT`,
    );
  else console.error("closeloop: cannot start:", error);
  process.exit(1);
});
