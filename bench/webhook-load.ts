import { createHmac } from "node:crypto";

export interface LoadResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

/** Signed `issue_comment.created` deliveries with 1–3 conversation URLs each, spread over repositories and issues. */
export function commentDeliveries(
  template: Record<string, any>,
  secret: string,
  count: number,
  seed = 1,
): { body: string; signature: string; id: string }[] {
  let state = seed;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const deliveries = [];
  for (let i = 0; i < count; i++) {
    const payload = structuredClone(template);
    const repo = i % 5;
    payload.installation = { id: 77, node_id: "bench" };
    payload.repository.id = 5_000_000 + repo;
    payload.repository.name = `repo-${repo}`;
    payload.repository.full_name = `bench-org/repo-${repo}`;
    payload.repository.owner.login = "bench-org";
    payload.issue.number = 1 + Math.floor(random() * 200);
    payload.issue.id = 9_000_000 + payload.issue.number;
    payload.comment.id = 1_000_000 + i;
    const urls = [
      `https://acme.zendesk.com/agent/tickets/${10_000 + Math.floor(random() * 50_000)}`,
      `https://app.intercom.com/a/inbox/abc123/inbox/conversation/${Math.floor(random() * 1e9)}`,
      `https://app.frontapp.com/open/cnv_${Math.floor(random() * 1e9).toString(36)}`,
    ].slice(0, 1 + (i % 3));
    payload.comment.body = `Customer reported this again, see ${urls.join(" and ")}. Thanks!`;
    const body = JSON.stringify(payload);
    deliveries.push({
      body,
      signature: `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
      id: `bench-${seed}-${i}`,
    });
  }
  return deliveries;
}

/** Sends the deliveries with `concurrency` requests in flight; latency is per request, from send to response. */
export async function driveLoad(
  url: string,
  deliveries: { body: string; signature: string; id: string }[],
  concurrency: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      const sent = performance.now();
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "issue_comment",
          "x-github-delivery": delivery.id,
          "x-hub-signature-256": delivery.signature,
        },
        body: delivery.body,
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - sent);
      if (response.status !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    events: deliveries.length,
    seconds,
    eventsPerSecond: deliveries.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
  };
}
