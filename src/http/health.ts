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
    if (request.method !== "GET" && request.method !== "HEAD") return false;
    const path = request.url?.split("?", 1)[0];
    if (path === "/healthz") {
      sendJson(response, 200, { status: "ok" });
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
