import { Counter, Histogram, Registry } from "prom-client";

/**
 * What closeloop counts as it happens (webhooks, helpdesk calls, the label sweep), for `GET /metrics` (README, HTTP). Here
 * rather than in http/ because providers and workers record into it. The instruments live in one registry of
 * closeloop's own, never prom-client's global one, so nothing else in the process (or another test) registers into it.
 */
export const registry = new Registry();

export const webhooksReceived = new Counter({
  name: "closeloop_webhooks_received_total",
  help: 'Webhook requests received, by event (GitHub event name, or helpdesk.<provider>) and outcome (stored: in the inbox, a replay included; ignored, unauthorized, invalid, too_large, not_configured, handshake, probe, error). The event is "unknown" until a delivery\'s signature is checked',
  labelNames: ["event", "outcome"] as const,
  registers: [registry],
});

export const providerRequestDuration = new Histogram({
  name: "closeloop_provider_request_duration_seconds",
  help: "Helpdesk API calls, by provider, HTTP method and status (network: no response)",
  labelNames: ["provider", "method", "status"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const providerRateLimited = new Counter({
  name: "closeloop_provider_rate_limited_total",
  help: "Helpdesk API calls answered 429, by provider",
  labelNames: ["provider"] as const,
  registers: [registry],
});

/** Counted by the delivery worker: how the work of the inbox divides between replicas, and failures to alert on. */
export const deliveriesProcessed = new Counter({
  name: "closeloop_deliveries_processed_total",
  help: "Stored webhook deliveries this process ran the handlers of, by outcome (done: handled and removed from the inbox; retry: failed, tried again later; dead: failed too often, kept for closeloop status)",
  labelNames: ["outcome"] as const,
  registers: [registry],
});
for (const outcome of ["done", "retry", "dead"]) deliveriesProcessed.inc({ outcome }, 0);

/** Counted by the webhook inbox's group commit: deliveries stored per commit is the stored webhooks over this. */
export const inboxCommits = new Counter({
  name: "closeloop_inbox_commits_total",
  help: 'Commits of the webhook inbox: requests arriving together are stored in one commit, so under load this grows slower than closeloop_webhooks_received_total{outcome="stored"}',
  registers: [registry],
});

/** The fixed reasons closeloop refuses input from someone it does not trust to drive the helpdesk (README, Public repositories). */
export const REFUSAL_REASONS = ["untrusted_author", "closer_lacks_permission", "customer_message"] as const;

export const refusals = new Counter({
  name: "closeloop_refusals_total",
  help: "Input refused, by reason: untrusted_author (a body or comment carrying conversation links by someone not in links.from), closer_lacks_permission (a close by someone below reopen.by), customer_message (a helpdesk message naming an issue, written by a customer)",
  labelNames: ["reason"] as const,
  registers: [registry],
});
for (const reason of REFUSAL_REASONS) refusals.inc({ reason }, 0);

/** Observed by the label sweep (docs/labels.md, The decay sweep): one observation per run. */
export const sweepDuration = new Histogram({
  name: "closeloop_label_sweep_duration_seconds",
  help: "Duration of the scheduled label sweep",
  buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

/**
 * From a reopen to the first agent's public reply to the customer (docs/answers.md), per helpdesk: observed when
 * closeloop learns the answer (a webhook or a read), by the replica that learned it.
 */
export const timeToAnswer = new Histogram({
  name: "closeloop_time_to_answer_seconds",
  help: "Time from closeloop reopening a conversation to an agent's first public reply to the customer",
  labelNames: ["provider"] as const,
  buckets: [600, 1_800, 3_600, 4 * 3_600, 8 * 3_600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400],
  registers: [registry],
});

/** Answers learned by a webhook or a read: each answered one is observed in timeToAnswer. */
export function observeAnswers(answers: readonly { provider: string; outcome: string; seconds: number }[]): void {
  for (const answer of answers)
    if (answer.outcome === "answered") timeToAnswer.observe({ provider: answer.provider }, answer.seconds);
}

/** One helpdesk API call, timed from `startedAt` (performance.now()); status undefined when no response came. */
export function observeProviderCall(
  provider: string,
  method: string,
  startedAt: number,
  status: number | undefined,
): void {
  providerRequestDuration.observe(
    { provider, method, status: status === undefined ? "network" : String(status) },
    (performance.now() - startedAt) / 1000,
  );
  if (status === 429) providerRateLimited.inc({ provider });
}
