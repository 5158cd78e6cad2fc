import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/domain/link.js";
import { ProviderConfigError } from "../../src/providers/provider-settings.js";
import type { ProviderDefinition, StoredConversation } from "../../src/providers/provider.js";
import { enabledProviders, providers } from "../../src/providers/registry.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";
import { conformanceCases } from "./conformance-cases.js";

const PROVIDERS_DIR = join(import.meta.dirname, "../../src/providers");
const TESTS_DIR = import.meta.dirname;
const CLOSED_CONVERSATIONS = ["reopens", "follow-up"];

/**
 * What is wrong with a definition's helpdesk facts, checked at run time too: the type makes each field required, but
 * a cast or an empty value would still compile. `sample` is a conversation its fake holds; `env` configures it.
 */
function definitionProblems(
  definition: ProviderDefinition,
  sample: StoredConversation,
  env: Record<string, string>,
): string[] {
  const problems: string[] = [];
  if (
    typeof definition.name !== "string" ||
    definition.name.trim() === "" ||
    definition.name !== definition.name.trim()
  )
    problems.push("name: a display name, not blank");
  try {
    if (new URL(definition.agentUrl(sample)).protocol !== "https:") problems.push("agentUrl: not an https address");
  } catch (error) {
    problems.push(`agentUrl: ${String(error)}`);
  }
  if (typeof definition.mergesConversations !== "boolean") problems.push("mergesConversations: true or false");
  const headers: unknown = definition.webhookSignatureHeaders;
  if (!Array.isArray(headers) || headers.length === 0) problems.push("webhookSignatureHeaders: at least one");
  else
    for (const name of headers as unknown[])
      if (typeof name !== "string" || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name))
        problems.push(`webhookSignatureHeaders: ${JSON.stringify(name)} is not a lower-case header name`);
  if (!CLOSED_CONVERSATIONS.includes(definition.closedConversations))
    problems.push(`closedConversations: one of ${CLOSED_CONVERSATIONS.join(", ")}`);
  else {
    const followsUp = definition.createClient(definition.configure(env)).createFollowUp !== undefined;
    if (followsUp !== (definition.closedConversations === "follow-up"))
      problems.push("closedConversations: follow-up exactly when the client can createFollowUp");
  }
  return problems;
}

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

  it("declares every helpdesk fact on each definition", () => {
    for (const [id, definition] of providers) {
      const sample = conformanceCases.get(id)!.conversation(1);
      expect({ id, problems: definitionProblems(definition, sample, fullEnv) }).toEqual({ id, problems: [] });
    }
  });

  it("finds an incomplete or wrong definition", () => {
    const front = providers.get("front")!;
    const sample = conformanceCases.get("front")!.conversation(1);
    const incomplete = { ...front } as Partial<ProviderDefinition>;
    delete incomplete.mergesConversations;
    delete incomplete.closedConversations;
    const wrong = {
      ...front,
      name: " ",
      agentUrl: () => "/open/1",
      webhookSignatureHeaders: ["X-Front-Signature", ""],
      closedConversations: "follow-up",
    } satisfies ProviderDefinition;
    expect(definitionProblems(incomplete as ProviderDefinition, sample, fullEnv)).toEqual([
      "mergesConversations: true or false",
      "closedConversations: one of reopens, follow-up",
    ]);
    expect(definitionProblems(wrong, sample, fullEnv)).toEqual([
      "name: a display name, not blank",
      "agentUrl: TypeError: Invalid URL",
      'webhookSignatureHeaders: "X-Front-Signature" is not a lower-case header name',
      'webhookSignatureHeaders: "" is not a lower-case header name',
      "closedConversations: follow-up exactly when the client can createFollowUp",
    ]);
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
