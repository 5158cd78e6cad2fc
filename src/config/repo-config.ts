import { z } from "zod";
import { parseRemindAfter } from "../domain/answers.js";
import { AUTHOR_ASSOCIATIONS, REPOSITORY_ROLES } from "../domain/trust.js";

/**
 * `.github/closeloop.yml` (README, Configuration): the one place its defaults live. Strict: an unknown key is an error, so a typo
 * is reported instead of silently doing nothing.
 */
export const CONFIG_FILE = "closeloop.yml";
export const CONFIG_PATH = `.github/${CONFIG_FILE}`;

// GitHub rejects label names over 50 characters.
const labelName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(50, "must be at most 50 characters (GitHub's limit for a label name)");

const colour = z
  .string()
  .regex(/^#?[0-9a-f]{6}$/i, 'must be a 6-digit hex colour such as "b60205"')
  .transform((value) => value.replace(/^#/, "").toLowerCase());

const frequencyRule = (defaults: { label: string; color: string; reports: number; days: number }) =>
  z
    .strictObject({
      label: labelName.default(defaults.label),
      color: colour.default(defaults.color),
      /** at least this many distinct reports… */
      reports: z.int("must be a whole number").min(1, "must be at least 1").default(defaults.reports),
      /** …in the last this many days */
      days: z
        .int("must be a whole number")
        .min(1, "must be at least 1")
        .max(365, "must be at most 365")
        .default(defaults.days),
    })
    .prefault({});

/** One of GitHub's enums, written in any case in the file (`OWNER` as GitHub spells it, `owner` as the README does). */
const lowerCaseEnum = <T extends string>(values: readonly [T, ...T[]], error: string) =>
  z.preprocess((value) => (typeof value === "string" ? value.trim().toLowerCase() : value), z.enum(values, { error }));

const APP_SLUG_ERROR =
  'must be an app\'s slug, as in https://github.com/apps/<slug> (such as renovate, without "[bot]"), or "*" for any app';

/** The placeholders a reopen note may use. */
export const NOTE_PLACEHOLDERS = ["url", "reason", "repository", "number", "title"] as const;
/** The placeholders a link note (`notify.note`) may use: there is no close reason yet. */
export const LINK_NOTE_PLACEHOLDERS = ["url", "repository", "number", "title"] as const;

const noteTemplate = (placeholders: readonly string[]) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(2000, "must be at most 2000 characters")
    .superRefine((text, ctx) => {
      for (const [, name] of text.matchAll(/\{([^{}]*)\}/g)) {
        if (!placeholders.includes(name!)) {
          ctx.addIssue({
            code: "custom",
            message: `unknown placeholder {${name}}; use ${placeholders.map((p) => `{${p}}`).join(", ")}`,
          });
        }
      }
    });

const remindAfter = z
  .union([z.string(), z.literal(false)], { error: 'must be "off" or a duration such as "24h"' })
  .transform((value, ctx) => {
    // `false` means off too, as a person may well write it.
    const parsed = parseRemindAfter(value === false ? "off" : value);
    if (parsed !== null && typeof parsed === "object") {
      ctx.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  })
  .nullable();

/** A GitHub Project (v2) address: an organisation's or a user's project, by number. */
export const PROJECT_URL =
  /^https:\/\/[^/\s]+\/(orgs|users)\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/projects\/([1-9][0-9]{0,9})\/?$/;

export const repoConfigSchema = z
  .strictObject({
    frequency: z
      .strictObject({
        daily: frequencyRule({ label: "reported: daily", color: "b60205", reports: 5, days: 7 }),
        weekly: frequencyRule({ label: "reported: weekly", color: "fbca04", reports: 2, days: 14 }),
      })
      .prefault({}),
    teams: z
      .strictObject({
        /** helpdesk fields whose value names a team */
        from: z.array(z.enum(["team", "tags"], { error: 'must be "team" or "tags"' })).default(["team"]),
        /** label = prefix + lower-cased name, unless mapped */
        prefix: z.string().max(40, "must be at most 40 characters").default("team: "),
        /** helpdesk team or tag name → label name; a mapped tag counts even when `tags` is not in `from` */
        map: z.record(z.string().min(1), labelName).default({}),
        /** true: ignore teams and tags that are not in map */
        only_mapped: z.boolean("must be true or false").default(false),
      })
      .prefault({}),
    reopen: z
      .strictObject({
        /** issue state_reason values that reopen linked conversations */
        on: z
          .array(
            z.enum(["completed", "not_planned", "duplicate"], {
              error: 'must be "completed", "not_planned" or "duplicate"',
            }),
          )
          .default(["completed", "not_planned"]),
        /** the least repository permission of the person closing the issue for a reopen; less reopens nothing */
        by: lowerCaseEnum(REPOSITORY_ROLES, `must be one of ${REPOSITORY_ROLES.join(", ")}`).default("triage"),
        /**
         * a Zendesk ticket that is `closed` cannot be reopened: follow_up opens a follow-up ticket carrying the note;
         * skip records the reopen as failed
         */
        closed_tickets: z.enum(["follow_up", "skip"], { error: 'must be "follow_up" or "skip"' }).default("follow_up"),
        /**
         * "off", or how long after a reopen with no agent answer one more internal note reminds the agents ("24h",
         * "90m", "3d"); read as seconds, null for off (docs/answers.md)
         */
        remind_after: remindAfter.default(null),
        note: noteTemplate(NOTE_PLACEHOLDERS).default(
          "The GitHub issue {url} linked to this conversation was closed ({reason}). Follow up with the customer.",
        ),
      })
      .prefault({}),
    comment: z
      .strictObject({
        /** one comment on the issue summarising the reopen, edited in place */
        summary: z.boolean("must be true or false").default(true),
        /**
         * each failure's conversation id and reason in the summary: always | private (private repositories only; public
         * ones get counts per helpdesk) | never
         */
        details: z
          .enum(["always", "private", "never"], { error: 'must be "always", "private" or "never"' })
          .default("private"),
      })
      .prefault({}),
    links: z
      .strictObject({
        /** more links in one comment or body are ignored, with a log line */
        max_per_source: z
          .int("must be a whole number")
          .min(1, "must be at least 1")
          .max(1000, "must be at most 1000")
          .default(50),
        /** more live links on one issue are ignored, with a log line */
        max_per_issue: z
          .int("must be a whole number")
          .min(1, "must be at least 1")
          .max(10000, "must be at most 10000")
          .default(500),
        /**
         * GitHub's author_association of the people whose bodies and comments are read for links; a person writing
         * through an app is judged by their own association
         */
        from: z
          .array(
            lowerCaseEnum(
              AUTHOR_ASSOCIATIONS,
              `must be one of ${AUTHOR_ASSOCIATIONS.join(", ")} (GitHub's author_association)`,
            ),
            {
              error: "must be a list, such as [owner, member, collaborator]",
            },
          )
          .default(["owner", "member", "collaborator"]),
        /** slugs of apps whose own bodies and comments (written as the app's bot) are read for links; "*": any app */
        apps: z
          .array(
            z.preprocess(
              (value) => (typeof value === "string" ? value.trim().toLowerCase() : value),
              z
                .string({ error: APP_SLUG_ERROR })
                .max(100, "must be at most 100 characters")
                .regex(/^(\*|[a-z0-9][a-z0-9_.-]*)$/, { error: APP_SLUG_ERROR }),
            ),
            { error: 'must be a list, such as ["*"], [renovate, github-actions] or []' },
          )
          .default(["*"]),
      })
      .prefault({}),
    notify: z
      .strictObject({
        /** an internal note on a conversation when an issue body or comment first links it (not backfill, not helpdesk links) */
        linked: z.boolean("must be true or false").default(true),
        note: noteTemplate(LINK_NOTE_PLACEHOLDERS).default(
          "Engineering is tracking this in {url} ({title}). This conversation will be reopened when the issue is closed.",
        ),
      })
      .prefault({}),
    project: z
      .strictObject({
        /** a GitHub Project (v2), e.g. https://github.com/orgs/acme/projects/3; empty = off */
        url: z
          .string()
          .trim()
          .refine((url) => url === "" || PROJECT_URL.test(url), {
            message:
              "must be a project's address, such as https://github.com/orgs/acme/projects/3 (or empty to turn it off)",
          })
          .default(""),
        /** a number field, created when missing: distinct reports in the last `days` */
        field: z
          .string()
          .trim()
          .min(1, "must not be empty")
          .max(100, "must be at most 100 characters")
          .default("Customer reports"),
        days: z.int("must be a whole number").min(1, "must be at least 1").max(365, "must be at most 365").default(30),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.frequency.daily.label === config.frequency.weekly.label) {
      ctx.addIssue({
        code: "custom",
        path: ["frequency", "weekly", "label"],
        message: "must differ from frequency.daily.label",
      });
    }
  });

export type RepoConfig = z.infer<typeof repoConfigSchema>;

export const DEFAULT_CONFIG: RepoConfig = repoConfigSchema.parse({});

export class RepoConfigError extends Error {
  override name = "RepoConfigError";
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${CONFIG_PATH}: ${key ? `${key}: ` : ""}${reason}`);
  }
}

/** Validates what `context.config` read (already merged with `_extends`); null or empty means "all defaults". */
export function parseRepoConfig(raw: unknown): RepoConfig {
  const { _extends: _, ...rest } = (raw ?? {}) as Record<string, unknown>;
  if (raw !== null && raw !== undefined && (typeof raw !== "object" || Array.isArray(raw))) {
    throw new RepoConfigError("", "must be a YAML mapping of settings");
  }
  const result = repoConfigSchema.safeParse(rest);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.map(String).join(".");
  const reason =
    issue.code === "unrecognized_keys" ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
  throw new RepoConfigError(key, reason);
}
