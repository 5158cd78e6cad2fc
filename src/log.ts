import { getTransformStream } from "@probot/pino";
import { pino, type Logger, type LoggerOptions } from "pino";
import { webhookSignatureHeaders } from "./providers/registry.js";

/**
 * The process's logger: Probot's own (the same LOG_LEVEL, LOG_FORMAT, LOG_LEVEL_IN_STRING, LOG_MESSAGE_KEY and
 * SENTRY_DSN, the same pretty and JSON output), built here so it can redact. Probot's HTTP logger (pino-http) prints
 * every request's and response's headers with the line it writes per request, and those carry the webhook signatures,
 * Freshdesk's shared secret as-is, and a client's authorization and cookies (SPEC §12: secrets never reach logs).
 */
export const SECRET_HEADERS: readonly string[] = [
  ...new Set([
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    // GitHub's signatures (both)
    "x-hub-signature",
    "x-hub-signature-256",
    // Each helpdesk's, from its definition (Freshdesk's is the secret itself), so a new helpdesk's cannot be forgotten
    ...webhookSignatureHeaders,
  ]),
];

/** Where a header object sits in a log line: pino-http's `req` and `res`, and any `headers` logged on their own. */
const HEADER_OBJECTS = ["req.headers", "res.headers", "headers"];

export const REDACTED_PATHS = HEADER_OBJECTS.flatMap((object) => SECRET_HEADERS.map((name) => `${object}["${name}"]`));

/**
 * Where a URL sits in a log line: pino-http's request URL, and the Location of a redirect (the sign-in's to GitHub
 * carries the OAuth `state`). Their secret query parameters are masked, the rest kept.
 */
const URL_PATHS = ["req.url", "res.headers.location"];

/**
 * The query parameters that carry a secret in a URL a log line may show: the OAuth callback's one-time `code` (with
 * the client secret and, before PKCE, it was all one needed for a user token) and its `state`.
 */
const SECRET_QUERY = /([?&](?:code|state)=)[^&#\s]*/g;

/** A text with the values of its URLs' secret query parameters replaced by `[redacted]`. */
export function redactSecretQuery(text: string): string {
  return text.replace(SECRET_QUERY, "$1[redacted]");
}

/**
 * The options of the process's logger, what `createLog` writes through: secret headers redacted, and the secret query
 * parameters of URLs masked in every message (pino-http's "GET /closeloop/auth/callback?code=… 303" line) and in the
 * request URL and redirect Location it logs with it.
 */
export function logOptions(env: Record<string, string | undefined>): LoggerOptions {
  return {
    level: env.LOG_LEVEL || "info",
    name: "probot",
    messageKey: env.LOG_MESSAGE_KEY || "msg",
    redact: {
      paths: [...REDACTED_PATHS, ...URL_PATHS],
      censor: (value: unknown, path: string[]) =>
        URL_PATHS.includes(path.join("."))
          ? typeof value === "string"
            ? redactSecretQuery(value)
            : value
          : "[Redacted]",
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === "string" ? redactSecretQuery(arg) : arg)) as typeof args);
      },
    },
  };
}

export async function createLog(env: Record<string, string | undefined>): Promise<Logger> {
  // As Probot reads them (probot/lib/bin/read-env-options.js): JSON in production unless LOG_FORMAT says otherwise.
  const logFormat = env.LOG_FORMAT
    ? env.LOG_FORMAT === "pretty"
      ? "pretty"
      : "json"
    : env.NODE_ENV === "production"
      ? "json"
      : "pretty";
  const transform = await getTransformStream({
    logFormat,
    logLevelInString: env.LOG_LEVEL_IN_STRING === "true",
    sentryDsn: env.SENTRY_DSN || undefined,
  });
  // SonicBoom is a writable stream in all but its type (Probot pipes it the same way).
  transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  return pino(logOptions(env), transform);
}
