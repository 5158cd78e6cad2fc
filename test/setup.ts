import nock from "nock";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { runFileEndCleanups } from "./support/temp-folders.js";

// No test talks to the internet: GitHub is nock, helpdesks are fake servers on loopback, PostgreSQL is local.
const unmatched: string[] = [];

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(
    (host) => host.startsWith("127.0.0.1") || host.startsWith("localhost") || host.startsWith("[::1]"),
  );
  nock.emitter.on(
    "no match",
    (request: { method?: string; path?: string; host?: string; options?: { host?: string } }) => {
      const host = request.options?.host ?? request.host ?? "";
      if (/^(127\.0\.0\.1|localhost|\[::1\])/.test(host)) return;
      unmatched.push(`${request.method ?? "?"} ${host}${request.path ?? ""}`);
    },
  );
});

// A missing or extra GitHub call cannot pass silently.
afterEach(() => {
  const pending = nock.pendingMocks();
  const extra = unmatched.splice(0);
  nock.cleanAll();
  expect(extra, "requests no nock matched").toEqual([]);
  expect(pending, "nock mocks never called").toEqual([]);
});

// Registered before the file's own hooks, so it runs after them: after the `afterAll` that closes a database.
afterAll(runFileEndCleanups);
