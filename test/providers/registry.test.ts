import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/domain/link.js";
import { ProviderConfigError } from "../../src/providers/provider-settings.js";
import { enabledProviders, providers } from "../../src/providers/registry.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";
import { conformanceCases } from "./conformance-cases.js";

const PROVIDERS_DIR = join(import.meta.dirname, "../../src/providers");
const TESTS_DIR = import.meta.dirname;

describe("provider registry", () => {
  const fakes: FakeHelpdeskServer[] = [];
  let fullEnv: Record<string, string> = {};

  beforeAll(async () => {
    for (const scenario of conformanceCases.values()) fakes.push(await scenario.start());
    fullEnv = Object.assign({}, ...fakes.map((fake) => fake.env()));
  });
  afterAll(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  it("has exactly the providers of PROVIDERS, in that order", () => {
    expect([...providers.keys()]).toEqual([...PROVIDERS]);
  });

  it("has exactly the folders under src/providers that hold an index.ts", () => {
    const folders = readdirSync(PROVIDERS_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(PROVIDERS_DIR, entry.name, "index.ts")))
      .map((entry) => entry.name)
      .sort();
    expect([...providers.keys()].sort()).toEqual(folders);
  });

  it("has exactly the folders under test/providers that hold a fake server and conformance cases", () => {
    const folders = readdirSync(TESTS_DIR, { withFileTypes: true })
      .filter(
        (entry) =>
          entry.isDirectory() &&
          ["fake-server.ts", "conformance.ts"].every((file) => existsSync(join(TESTS_DIR, entry.name, file))),
      )
      .map((entry) => entry.name)
      .sort();
    expect([...providers.keys()].sort()).toEqual(folders);
  });

  it("keys each definition by its own id, with a URL matcher for the same provider", () => {
    for (const [id, definition] of providers) {
      expect(definition.id).toBe(id);
      expect(definition.urls.provider).toBe(id);
    }
  });

  it("gives every provider a positive default rate budget", () => {
    for (const definition of providers.values()) {
      const budget = definition.rateBudget(definition.configure(fullEnv));
      expect(budget.requests).toBeGreaterThan(0);
      expect(budget.intervalMs).toBeGreaterThan(0);
    }
  });

  it("enables no provider without credentials", () => {
    expect(enabledProviders({}).size).toBe(0);
  });

  it("enables each provider whose credentials are set", () => {
    expect([...enabledProviders(fullEnv).keys()]).toEqual([...PROVIDERS]);
    expect([
      ...enabledProviders({ FRONT_API_TOKEN: "t", HELPSCOUT_APP_ID: "a", HELPSCOUT_APP_SECRET: "b" }).keys(),
    ]).toEqual(["front", "helpscout"]);
  });

  it("stops with the variable's name when a provider is half configured", () => {
    const half = { ...fullEnv, ZENDESK_API_TOKEN: "" };
    expect(() => enabledProviders(half)).toThrow(ProviderConfigError);
    expect(() => enabledProviders(half)).toThrow("ZENDESK_API_TOKEN");
  });
});
