import { githubHost, parseEnv } from "../config/env.js";
import { DEFAULT_IMPACT_QUERY, IMPACT_SORTS, IMPACT_STATES } from "../domain/impact-query.js";
import { JOB_STATES } from "../store/helpdesk-jobs.js";
import { migrate } from "../store/migrations.js";
import { BACKFILL_USAGE, backfillCommand, gitHubAppFromEnv, readBackfillTarget } from "./backfill-command.js";
import { defineCommand, JSON_OPTION, type Command } from "./command.js";
import { redrawProgressLine } from "./output.js";
import {
  COPY_DATABASE_USAGE,
  copyDatabaseCommand,
  describeCopyProgress,
  readCopyTarget,
} from "./copy-database-command.js";
import { JOBS_USAGE, jobsCommand } from "./jobs-command.js";
import { LINKS_USAGE, linksCommand } from "./links-command.js";
import { RETRY_USAGE, retryCommand } from "./retry-command.js";
import { SIDEBAR_USAGE, sidebarCommand } from "./sidebar-command.js";
import { statusCommand } from "./status-command.js";
import { TOP_USAGE, topCommand } from "./top-command.js";
import { WAITING_USAGE, waitingCommand } from "./waiting-command.js";

/**
 * The `closeloop` commands (README, CLI), in the order `closeloop help` lists them. Each declares its own flags: a flag
 * another command takes is an error here, named with the command, rather than silently ignored.
 */
export const COMMANDS: readonly Command[] = [
  defineCommand({
    name: "links",
    synopsis: "links <owner>/<repo>#<number>",
    summary: "the conversations linked to an issue (or give its URL)",
    usage: LINKS_USAGE,
    arguments: [1, 1],
    options: { json: JSON_OPTION },
    run: async ({ args, values, out, readyDatabase }) =>
      linksCommand(readyDatabase, args, { json: values.json, githubHost: githubHost(parseEnv()) }, out),
  }),
  defineCommand({
    name: "waiting",
    synopsis: "waiting",
    summary: "reopened conversations no agent has answered yet, oldest first",
    usage: WAITING_USAGE,
    arguments: [0, 0],
    options: { json: JSON_OPTION },
    run: async ({ values, out, readyDatabase }) => waitingCommand(await readyDatabase(), values.json, out),
  }),
  defineCommand({
    name: "status",
    synopsis: "status",
    summary: "database, migrations, providers, reopen queues, config errors",
    usage: "closeloop status [--json]",
    arguments: [0, 0],
    options: { json: JSON_OPTION },
    // Reports on the database itself, so it runs on one that is not ready too.
    run: async ({ values, out, database }) => statusCommand(await database(), values.json, out),
  }),
  defineCommand({
    name: "jobs",
    synopsis: "jobs [--state <state>]",
    summary: "reopen jobs: pending, running, done or dead",
    usage: JOBS_USAGE,
    arguments: [0, 0],
    options: {
      state: { type: "string", value: "state", description: `only the jobs in this state: ${JOB_STATES.join(", ")}` },
      json: JSON_OPTION,
    },
    run: async ({ values, out, readyDatabase }) =>
      jobsCommand(readyDatabase, { state: values.state, json: values.json }, out),
  }),
  defineCommand({
    name: "retry",
    synopsis: "retry <job-id> | --dead",
    summary: "run a dead job (or every dead job) again",
    usage: RETRY_USAGE,
    arguments: [0, 1],
    options: {
      dead: {
        type: "boolean",
        description: "every dead job, every dead link note, and every dead conversation read for the labels",
      },
      json: JSON_OPTION,
    },
    run: async ({ args, values, out, readyDatabase }) =>
      retryCommand(readyDatabase, args, { dead: values.dead, json: values.json }, out),
  }),
  defineCommand({
    name: "backfill",
    synopsis: "backfill <owner>/<repo> | --all",
    summary: "read existing issues and comments for links (as on install), with progress",
    usage: BACKFILL_USAGE,
    arguments: [0, 1],
    options: { all: { type: "boolean", description: "every repository the app is installed on" }, json: JSON_OPTION },
    async run({ args, values, out, readyDatabase }) {
      // A bad argument is exit 2 wherever the database is: read before it is opened (backfillCommand reads it again).
      readBackfillTarget(args, values.all);
      const database = await readyDatabase();
      const env = parseEnv();
      // A progress line on a terminal, redrawn in place; scripts get the final lines (or --json) only.
      const progress = process.stderr.isTTY ? redrawProgressLine : undefined;
      return backfillCommand(
        database,
        args,
        { all: values.all, json: values.json, dryRun: env.CLOSELOOP_DRY_RUN, progress },
        out,
        gitHubAppFromEnv(env),
      );
    },
  }),
  defineCommand({
    name: "top",
    synopsis: "top [<owner>/<repo>] [--days N] [--team T]",
    summary: "issues ranked by customer reports, as the dashboard shows them",
    usage: TOP_USAGE,
    arguments: [0, 1],
    options: {
      days: { type: "string", value: "days", description: "the window: 7, 14, 30 (default) or 90 days" },
      team: { type: "string", value: "team label", description: "only issues carrying this team label" },
      state: {
        type: "string",
        value: "state",
        description: `which issues: ${IMPACT_STATES.join(", ")} (default ${DEFAULT_IMPACT_QUERY.state})`,
      },
      sort: {
        type: "string",
        value: "key",
        description: `the order, as the dashboard's: ${IMPACT_SORTS.join(", ")} (default ${DEFAULT_IMPACT_QUERY.sort})`,
      },
      page: {
        type: "string",
        value: "N",
        description: `the page, ${DEFAULT_IMPACT_QUERY.perPage} issues each (default 1)`,
      },
      json: JSON_OPTION,
      csv: { type: "boolean", description: "print the dashboard's CSV of the page (?format=csv)" },
    },
    async run({ args, values, out, readyDatabase }) {
      const env = parseEnv();
      const githubUrl = `${env.GHE_HOST ? env.GHE_PROTOCOL : "https"}://${githubHost(env)}`;
      return topCommand(readyDatabase, args, { ...values, githubUrl }, out);
    },
  }),
  defineCommand({
    name: "sidebar",
    synopsis: "sidebar zendesk|freshdesk [--out DIR]",
    summary: "write the helpdesk's sidebar app package, pointed at CLOSELOOP_PUBLIC_URL",
    usage: SIDEBAR_USAGE,
    arguments: [1, 1],
    options: {
      out: { type: "string", value: "dir", description: "the folder to write (default: closeloop-<helpdesk>-app)" },
      json: JSON_OPTION,
    },
    run: async ({ args, values, out }) => sidebarCommand(args, { out: values.out, json: values.json }, out),
  }),
  defineCommand({
    name: "copy-database",
    synopsis: "copy-database <postgres-url>",
    summary: "copy this SQLite database into an empty PostgreSQL one (servers stopped)",
    usage: COPY_DATABASE_USAGE,
    arguments: [1, 1],
    options: { json: JSON_OPTION },
    async run({ args, values, out, target }) {
      // A bad URL is exit 2 wherever the database is: read before anything is opened.
      readCopyTarget(args[0]!);
      // A line per table on stderr (stdout holds the answer): redrawn in place on a terminal, else once it is done.
      const progress = (state: Parameters<typeof describeCopyProgress>[0]) => {
        if (process.stderr.isTTY) redrawProgressLine(describeCopyProgress(state), state.done);
        else if (state.done) process.stderr.write(`${describeCopyProgress(state)}\n`);
      };
      const warn = (message: string) => process.stderr.write(`copy-database: ${message}\n`);
      return copyDatabaseCommand(target, args, { json: values.json, progress, warn }, out);
    },
  }),
  defineCommand({
    name: "migrate",
    synopsis: "migrate",
    summary: "apply pending database migrations",
    usage: "closeloop migrate",
    arguments: [0, 0],
    options: {},
    async run({ out, target }) {
      const applied = await migrate(target);
      out.line(
        applied.length === 0 ? `${target.display}: up to date` : `${target.display}: applied ${applied.join(", ")}`,
      );
      return 0;
    },
  }),
];
