import type { IncomingMessage, ServerResponse } from "node:http";
import { checkReadiness, type Database } from "../store/database.js";

/** `GET /healthz`: the process is up. `GET /readyz`: the database answers and is migrated (README, HTTP). */
export function healthRoutes(database: Database) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if (request.method !== "GET" && request.method !== "HEAD") return false;
    const path = request.url?.split("?", 1)[0];
    if (path === "/healthz") {
      sendJson(response, 200, { status: "ok" });
      return true;
    }
    if (path === "/readyz") {
      const readiness = await checkReadiness(database);
      sendJson(response, readiness.ready ? 200 : 503, readiness.ready ? { status: "ready" } : { status: "unavailable", reason: readiness.reason });
      return true;
    }
    return false;
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(JSON.stringify(body));
}
