import type { ProviderId, RecognisedLink } from "../../src/domain/link.js";
import type { HelpdeskEvent } from "../../src/providers/helpdesk-webhook.js";
import type { ConversationRef } from "../../src/providers/provider.js";
import { providers } from "../../src/providers/registry.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";

/**
 * What the shared suites need to know of one helpdesk: its fake, conversations the fake holds, and its webhooks as the
 * helpdesk sends them. Each provider's test folder exports one as `conformance` from its conformance.ts, so the
 * suites run over every provider in the registry and a new helpdesk brings its cases with it.
 */
export interface ConformanceCase {
  /** starts the provider's fake API (test/providers/<id>/fake-server.ts) */
  start(): Promise<FakeHelpdeskServer>;
  ref: ConversationRef;
  /** a conversation the fake does not have */
  missing: ConversationRef;
  customerId: string;
  /** the environment change that makes the credentials wrong */
  wrongCredentials: Record<string, string>;
  /** the n-th conversation of a test: an id the fake accepts, and the URL a person would have pasted */
  conversation(n: number): RecognisedLink;
  webhook: WebhookCase;
  /**
   * The helpdesk's rate-limit headers name a per-minute limit and carry no reset (Help Scout's X-RateLimit-Limit-Minute,
   * Freshdesk's "per minute"), so a limit its fake enforces is kept in minute windows (bench/reopen.ts, P3).
   */
  minuteLimits: boolean;
}

export interface WebhookCase {
  /** the webhook's secret, and whatever else its events need, under the variables README, Environment names */
  env: Record<string, string>;
  /** a body shaped as the helpdesk's published examples, in test/providers/<id>/webhooks/ (sources in its README), linking to octo-org/app#42 */
  fixture: string;
  /** the fixture as the inbox stores it; eventId is absent when the helpdesk sends none (a hash of the body is used) */
  expected: (receivedAt: Date) => Omit<HelpdeskEvent, "eventId"> & { eventId?: string };
  /** a signed timestamp, so an old or future one is refused */
  signsTimestamp: boolean;
  /** false when the secret travels as-is instead of signing the body, so only the secret can be wrong */
  signsBody: boolean;
  /**
   * The headers the helpdesk sends with `body`, signed as its docs say (the provider's webhook.ts cites them), as of
   * `at`, with `secret` or the one in `env`. Written independently of src/, so a test fails if the code's reading of
   * a scheme drifts.
   */
  sign(body: Buffer, at: Date, secret?: string): Record<string, string>;
}

async function load(id: ProviderId): Promise<ConformanceCase> {
  // Under vitest the files on disk are .ts; compiled for the benchmark (tsconfig.bench.json) they are .js.
  const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const module = (await import(`./${id}/conformance.${extension}`)) as { conformance: ConformanceCase };
  return module.conformance;
}

/** Every provider's cases, in registry order; a provider without test/providers/<id>/conformance.ts fails to load here. */
export const conformanceCases: ReadonlyMap<ProviderId, ConformanceCase> = new Map(
  await Promise.all([...providers.keys()].map(async (id) => [id, await load(id)] as const)),
);
