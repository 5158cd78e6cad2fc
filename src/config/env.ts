import { existsSync } from "node:fs";
import { trimTrailingSlashes } from "../domain/trailing-slashes.js";
import { z } from "zod";
import { parseSecretKey } from "../domain/secret-key.js";
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, type DatabaseTarget } from "./database-url.js";

/**
 * The process environment (README, Environment), validated once at start. GitHub App and Probot variables keep Probot's names;
 * helpdesk credentials are read by each provider's `configure` (src/providers/registry.ts).
 */
const flag = z
  .enum(["true", "false", "1", "0"], { error: 'must be "true" or "false"' })
  .default("false")
  .transform((value) => value === "true" || value === "1");

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value));

/** A GitHub account's login: letters, digits and single hyphens, not at either end. */
const GITHUB_LOGIN = /^[a-z\d](?:[a-z\d]|-(?=[a-z\d]))*$/i;

export const envSchema = z
  .object({
    APP_ID: optionalText.pipe(
      z.string().regex(/^\d+$/, "must be the numeric App ID from the app's settings page").optional(),
    ),
    PRIVATE_KEY: optionalText,
    PRIVATE_KEY_PATH: optionalText.refine((path) => path === undefined || existsSync(path), "file not found"),
    WEBHOOK_SECRET: optionalText,
    GHE_HOST: optionalText.pipe(
      z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?$/i, "must be a host name such as github.example.com, without https://")
        .optional(),
    ),
    GHE_PROTOCOL: z.enum(["https", "http"], { error: 'must be "https" or "http"' }).default("https"),
    PORT: z.coerce
      .number({ error: "must be a port number" })
      .int("must be a port number")
      .min(1, "must be a port number from 1 to 65535")
      .max(65_535, "must be a port number from 1 to 65535")
      .default(3000),
    HOST: optionalText,
    LOG_LEVEL: z
      .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
        error: "must be one of trace, debug, info, warn, error, fatal, silent",
      })
      .default("info"),
    /** Probot's name; src/log.ts reads it as Probot does, where any other value silently meant JSON */
    LOG_FORMAT: optionalText.pipe(z.enum(["json", "pretty"], { error: 'must be "json" or "pretty"' }).optional()),
    CLOSELOOP_DRY_RUN: flag,
    /** how long a crashed process's reopen jobs wait before another process takes them over (docs/reopen.md) */
    CLOSELOOP_REOPEN_LEASE_SECONDS: z.coerce
      .number({ error: "must be a number of seconds" })
      .int("must be a whole number of seconds")
      .min(1, "must be from 1 to 3600 seconds")
      .max(3600, "must be from 1 to 3600 seconds")
      .default(30),
    /** minutes between two decay sweeps of the labels (docs/labels.md); one replica sweeps at a time */
    CLOSELOOP_SWEEP_INTERVAL_MINUTES: z.coerce
      .number({ error: "must be a number of minutes" })
      .int("must be a whole number of minutes")
      .min(1, "must be from 1 to 1440 minutes")
      .max(1440, "must be from 1 to 1440 minutes")
      .default(60),
    /** the GitHub App's OAuth client (Probot's names, written by its setup flow): sign-in to the dashboard; unset, it is off */
    GITHUB_CLIENT_ID: optionalText,
    GITHUB_CLIENT_SECRET: optionalText,
    /** where people and GitHub reach the app: the OAuth callback is `<url>/closeloop/auth/callback`; default http://localhost:<PORT> */
    CLOSELOOP_PUBLIC_URL: optionalText.pipe(
      z
        .string()
        .regex(
          /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/,
          "must be an http:// or https:// address such as https://closeloop.example.com",
        )
        .transform(trimTrailingSlashes)
        .optional(),
    ),
    /** Probot's name: the organisation the setup flow registers the app on (a private app installs only on its owner) */
    GH_ORG: optionalText.pipe(
      z.string().regex(GITHUB_LOGIN, "must be an organisation's login, as in github.com/<login>").optional(),
    ),
    /** GitHub user ids and logins who may use the dashboard's operations page, comma-separated (src/domain/admins.ts) */
    CLOSELOOP_ADMINS: optionalText.pipe(
      z
        .string()
        .transform((list) =>
          list
            .split(",")
            .map((login) => login.trim())
            .filter((login) => login !== ""),
        )
        .pipe(
          z.array(
            z
              .string()
              .regex(/^@?[a-z\d](?:[a-z\d]|-(?=[a-z\d]))*$/i, "must be GitHub user ids or logins separated by commas"),
          ),
        )
        .optional(),
    ),
    /** the root of the keys that sign sessions, CSRF and sidebar tokens and encrypt stored user tokens (src/domain/secret-key.ts) */
    CLOSELOOP_SECRET_KEY: optionalText.transform((text, ctx): Buffer | undefined => {
      if (text === undefined) return undefined;
      try {
        return parseSecretKey(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
    /** when set, `/metrics` answers only `Authorization: Bearer <token>` (src/http/metrics-route.ts) */
    CLOSELOOP_METRICS_TOKEN: optionalText.transform((token) => token?.trim()),
    DATABASE_URL: optionalText.transform((url, ctx): DatabaseTarget => {
      try {
        return parseDatabaseUrl(url ?? DEFAULT_DATABASE_URL);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message.replace(/^DATABASE_URL: /, "") });
        return z.NEVER;
      }
    }),
  })
  .superRefine((env, ctx) => {
    // Half a set of credentials is a mistake, not a request for the setup flow.
    if (env.APP_ID && !env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) {
      ctx.addIssue({
        code: "custom",
        path: ["PRIVATE_KEY"],
        message: "PRIVATE_KEY or PRIVATE_KEY_PATH is required when APP_ID is set",
      });
    }
    if ((env.PRIVATE_KEY || env.PRIVATE_KEY_PATH) && !env.APP_ID) {
      ctx.addIssue({ code: "custom", path: ["APP_ID"], message: "APP_ID is required when a private key is set" });
    }
    // One half of an OAuth client cannot sign anyone in.
    if (env.GITHUB_CLIENT_ID && !env.GITHUB_CLIENT_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["GITHUB_CLIENT_SECRET"],
        message: "GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set",
      });
    }
    if (env.GITHUB_CLIENT_SECRET && !env.GITHUB_CLIENT_ID) {
      ctx.addIssue({
        code: "custom",
        path: ["GITHUB_CLIENT_ID"],
        message: "GITHUB_CLIENT_ID is required when GITHUB_CLIENT_SECRET is set",
      });
    }
    if (env.APP_ID && !env.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_SECRET"],
        message: "WEBHOOK_SECRET is required when APP_ID is set",
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  override name = "EnvError";
}

/** Validates the environment; the error is one line naming the variable and what is wrong with it. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? "environment");
  const given = source[name];
  const shown =
    given === undefined || /SECRET|KEY|TOKEN|PASSWORD/.test(name) || name === "DATABASE_URL" ? "" : ` (got "${given}")`;
  throw new EnvError(`invalid environment: ${name}: ${issue.message}${shown}`);
}

/** GitHub App credentials present: serve webhooks. Absent: the setup flow registers the app (src/http/setup-flow.tsx). */
export function hasAppCredentials(env: Env): boolean {
  return env.APP_ID !== undefined;
}

/** The dashboard's OAuth client, or null when it is not configured (the dashboard is off). */
export function dashboardClient(env: Env): { clientId: string; clientSecret: string } | null {
  return env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET
    ? { clientId: env.GITHUB_CLIENT_ID, clientSecret: env.GITHUB_CLIENT_SECRET }
    : null;
}

/** CLOSELOOP_PUBLIC_URL, or http://localhost:<PORT> */
export function publicUrl(env: Env): string {
  return env.CLOSELOOP_PUBLIC_URL ?? `http://localhost:${env.PORT}`;
}

/** The API base for GHE_HOST (Probot's rule), else github.com's. */
export function githubApiUrl(env: Pick<Env, "GHE_HOST" | "GHE_PROTOCOL">): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL}://${env.GHE_HOST}/api/v3` : "https://api.github.com";
}

/** GitHub's web address for GHE_HOST, else github.com's: issue links, and the OAuth web flow. */
export function githubWebUrl(env: Pick<Env, "GHE_HOST" | "GHE_PROTOCOL">): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL}://${env.GHE_HOST}` : "https://github.com";
}

export function githubHost(env: Env): string {
  return env.GHE_HOST ?? "github.com";
}
