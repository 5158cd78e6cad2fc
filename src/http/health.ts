import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "probot";
import { checkReadiness, type Database } from "../store/database.js";
import { readMigrationFiles } from "../store/migrations.js";
import { sendJson } from "./request-body.js";

/**
 * `GET /healthz`: the process is up. `GET /readyz`: the database answers and is migrated (README, HTTP). Anyone who can
 * reach the port can ask, so the answer says only "database unavailable"; why (the driver's error, which may name the
 * host and user, or the pending migrations) goes to the log, once each time it changes.
 */
export function healthRoutes(database: Database, log: Logger) {
  let lastReason: string | undefined;
  // Read once: a probe every few seconds need not list the migrations folder each time.
  const migrations = readMigrationFiles(database.engine);
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = probePath(request);
    if (path === "/healthz") {
      sendJson(response, 200, LIVE);
      return true;
    }
    if (path === "/readyz") {
      const readiness = await checkReadiness(database, migrations);
      if (readiness.ready) lastReason = undefined;
      else if (readiness.reason !== lastReason) {
        lastReason = readiness.reason;
        log.warn(`readyz: not ready: ${readiness.reason}`);
      }
      sendJson(
        response,
        readiness.ready ? 200 : 503,
        readiness.ready ? { status: "ready" } : { status: "unavailable", reason: "database unavailable" },
      );
      return true;
    }
    return false;
  };
}

/**
 * The probes while the setup flow runs (npm start without credentials): the process is up, so `/healthz` is `200` as
 * ever (a liveness probe that saw `404` would restart it mid-registration); it opens no database and serves no
 * webhooks until it is started again with the app's credentials, so `/readyz` is `503`.
 */
export function setupHealthRoutes() {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = probePath(request);
    if (path === "/healthz") sendJson(response, 200, LIVE);
    else if (path === "/readyz")
      sendJson(response, 503, { status: "unavailable", reason: "no GitHub App credentials" });
    else return false;
    return true;
  };
}

const LIVE = { status: "ok" };

function probePath(request: IncomingMessage): string | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  return request.url?.split("?", 1)[0];
}
