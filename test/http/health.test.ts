import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthRoutes } from "../../src/http/health.js";
import type { Database } from "../../src/store/database.js";

const DRIVER_ERROR = "password authentication failed for user closeloop at db.internal.acme.com:5432";

describe("GET /readyz when the database cannot be reached", () => {
  let server: Server;
  let baseUrl: string;
  let logged = "";

  beforeAll(async () => {
    const unreachable = {
      engine: "postgresql",
      prisma: { $queryRawUnsafe: () => Promise.reject(new Error(DRIVER_ERROR)) },
    } as unknown as Database;
    const log = pino(
      { level: "info" },
      new Writable({ write: (chunk: Buffer, _encoding, done) => ((logged += chunk.toString()), done()) }),
    );
    const route = healthRoutes(unreachable, log);
    server = createServer((request, response) => void route(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers 503 "database unavailable", and the driver\'s error goes to the log once, not to the caller', async () => {
    const answers = [await fetch(`${baseUrl}/readyz`), await fetch(`${baseUrl}/readyz`)];
    expect(answers.map((answer) => answer.status)).toEqual([503, 503]);
    for (const answer of answers)
      expect(await answer.text()).toBe(JSON.stringify({ status: "unavailable", reason: "database unavailable" }));
    expect(logged.split(DRIVER_ERROR).length - 1).toBe(1);
  });
});
