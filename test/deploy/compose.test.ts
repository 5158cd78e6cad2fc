import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GITHUB_MAX_BODY_BYTES } from "../../src/http/probot-server.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { ROOT, startApp, TEST_PRIVATE_KEY, type RunningApp } from "../support/process.js";

/**
 * compose.yaml (README, Production), read as docker compose reads it: the app's command line, its environment (the
 * image's ENV, then `env_file`, then `environment`, with the `${…}` interpolated) started against a real PostgreSQL,
 * and the proxy and database services checked against what the app needs.
 */

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  env_file?: string;
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
}

const compose = parse(readFileSync(join(ROOT, "compose.yaml"), "utf8")) as { services: Record<string, Service> };
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const caddyfile = readFileSync(join(ROOT, "deploy/Caddyfile"), "utf8");
const { app, postgres, caddy } = compose.services as Record<"app" | "postgres" | "caddy", Service>;

/** Compose's `${NAME}`, `${NAME:?message}` and `${NAME:-default}`, with the variables an operator sets. */
function interpolate(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?:(:\?|:-)([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const value = variables[name];
    if (value) return value;
    if (kind === ":?") throw new Error(`compose would stop: ${rest}`);
    return kind === ":-" ? rest! : "";
  });
}

/** The run stage's `ENV` of the Dockerfile (the last FROM), as the container starts with it. */
function imageEnvironment(): Record<string, string> {
  const runStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const block = /\nENV ((?:[^\n]*\\\n)*[^\n]*)/.exec(runStage)![1]!.replace(/\\\n/g, " ");
  return Object.fromEntries([...block.matchAll(/(\w+)=(\S+)/g)].map((match) => [match[1]!, match[2]!]));
}

/** `env_file` as compose reads it: KEY=value lines, comments and blank lines skipped. */
function envFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("compose.yaml", () => {
  const operator = { POSTGRES_PASSWORD: "closeloop", CLOSELOOP_HOST: "closeloop.example.com" };
  let running: RunningApp | undefined;
  afterAll(async () => running?.stop());

  it("runs the image's own command line, and the Dockerfile builds what that line starts", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile.slice(dockerfile.lastIndexOf("\nFROM ")))![1]!;
    expect(app.command).toEqual(JSON.parse(cmd));
    expect(app.build).toBe(".");
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/prisma \.\/prisma$/m);
  });

  it("publishes only the proxy, which passes GitHub's 25 MB deliveries to the app and keeps /metrics inside", () => {
    expect(app.ports).toBeUndefined();
    expect(caddy.ports).toEqual(["80:80", "443:443", "443:443/udp"]);
    expect(caddy.volumes).toContain("./deploy/Caddyfile:/etc/caddy/Caddyfile:ro");
    const maxSize = /max_size (\d+)MiB/.exec(caddyfile)![1]!;
    expect(Number(maxSize) * 1024 * 1024).toBe(GITHUB_MAX_BODY_BYTES);
    expect(caddyfile).toMatch(/@metrics path \/metrics \/metrics\/\*\n\s*respond @metrics 404/);
    const upstream = /reverse_proxy (\S+):(\d+)/.exec(caddyfile)!;
    expect([upstream[1], upstream[2]]).toEqual(["app", imageEnvironment().PORT]);
    expect(app.expose).toEqual([imageEnvironment().PORT]);
    expect(interpolate(caddy.environment!.CLOSELOOP_HOST!, operator)).toBe("closeloop.example.com");
  });

  it("points the app at the compose PostgreSQL with the credentials that service is created with", () => {
    const url = new URL(interpolate(app.environment!.DATABASE_URL!, operator));
    const created = Object.fromEntries(
      Object.entries(postgres.environment!).map(([key, value]) => [key, interpolate(value, operator)]),
    );
    expect([url.protocol, url.hostname, url.port]).toEqual(["postgres:", "postgres", "5432"]);
    expect([url.username, url.password, url.pathname]).toEqual([
      created.POSTGRES_USER,
      created.POSTGRES_PASSWORD,
      `/${created.POSTGRES_DB}`,
    ]);
    expect(app.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(() => interpolate(app.environment!.DATABASE_URL!, {})).toThrow("set POSTGRES_PASSWORD");
  });

  it("lists in deploy/closeloop.env.example every variable a deployment must set", () => {
    const example = envFile(readFileSync(join(ROOT, "deploy/closeloop.env.example"), "utf8"));
    for (const name of ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"])
      expect(example).toHaveProperty(name);
    expect(example).toHaveProperty("CLOSELOOP_SECRET_KEY");
    expect(app.env_file).toBe("closeloop.env");
    expect(interpolate(app.environment!.CLOSELOOP_PUBLIC_URL!, operator)).toBe("https://closeloop.example.com");
  });

  it("starts its app command line with its environment against PostgreSQL, and is ready", async () => {
    // The database the compose file names, on the test's PostgreSQL (same user and password, a fresh database).
    const fresh = new URL(await freshDatabaseUrl("postgresql"));
    const composeUrl = new URL(interpolate(app.environment!.DATABASE_URL!, operator));
    expect([composeUrl.username, composeUrl.password]).toEqual([
      new URL(inject("postgresUrl")).username,
      new URL(inject("postgresUrl")).password,
    ]);
    composeUrl.host = fresh.host;
    composeUrl.pathname = fresh.pathname;

    const filled = {
      ...envFile(readFileSync(join(ROOT, "deploy/closeloop.env.example"), "utf8")),
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY.replace(/\n/g, "\\n"),
      WEBHOOK_SECRET: "compose-webhook-secret",
      GITHUB_CLIENT_ID: "Iv1.compose",
      GITHUB_CLIENT_SECRET: "compose-client-secret",
    };
    const environment = Object.fromEntries(
      Object.entries(app.environment!).map(([key, value]) => [key, interpolate(value, operator)]),
    );
    // The test's port and loopback instead of the container's 0.0.0.0:3000 (startApp picks them).
    const { PORT: _port, HOST: _host, ...image } = imageEnvironment();
    const [node, ...args] = app.command!;
    expect(node).toBe("node");
    running = await startApp({ ...image, ...filled, ...environment, DATABASE_URL: composeUrl.toString() }, args);

    const ready = await fetch(`${running.baseUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready" }]);
    // The dashboard is on, with the public URL's callback: the OAuth client and public URL were taken.
    expect(running.output()).toContain("https://closeloop.example.com/closeloop/auth/callback");
  });
});
