import { createHmac, timingSafeEqual } from "node:crypto";
import { emitterEventNames, type EmitterWebhookEventName } from "@octokit/webhooks";
import { webhooksReceived } from "../metrics.js";
import { inboxPayload } from "../store/deliveries.js";

/** A GitHub delivery as the front door read it: its headers and the raw bytes of its body. */
export interface GithubDelivery {
  id: string;
  name: string;
  /** the X-Hub-Signature-256 header as sent */
  signature: string;
  body: Buffer;
}

/** What GitHub is answered: 200 once the delivery is committed (or it is one closeloop ignores), else why not. */
export type InboxAnswer =
  | { status: 200; outcome: "stored" | "ignored" }
  | { status: 400 | 401; outcome: "invalid" | "unauthorized"; error: string };

/** Takes a delivery; rejects when it could not be stored (GitHub then sees a 500 and redelivers). */
export type ReceiveDelivery = (delivery: GithubDelivery) => Promise<InboxAnswer>;

/**
 * Replaces Probot's "verify, then run the handlers before answering" with "verify, store, answer": a delivery is in
 * the database before GitHub gets its 200, so a crash loses nothing, and the handlers run from the inbox
 * (DeliveryWorker). Deliveries of events the app does not handle are answered without being stored; the others are
 * stored without GitHub's API links (`inboxPayload`).
 *
 * The signature is checked on the bytes as they arrived, before anything reads them: a wrong one is 401 (as for
 * helpdesk webhooks, README HTTP; @octokit/webhooks says 400), and a signed body that is not JSON is 400. Neither
 * stores anything.
 */
export function githubInbox(
  secret: string,
  handles: (name: string, payload: { action?: unknown }) => boolean,
  store: (delivery: { id: string; name: EmitterWebhookEventName; payload: string }) => Promise<void>,
): ReceiveDelivery {
  const key = Buffer.from(secret, "utf8");
  return async (delivery) => {
    // The event name is a header anyone can write (GitHub signs the body, not the headers): a metric label takes it
    // only from a signed delivery and only when it is one of GitHub's event names, so no caller can add time series.
    const verified = signedBy(key, delivery.body, delivery.signature);
    const label = verified && GITHUB_EVENTS.has(delivery.name) ? delivery.name : "unknown";
    const count = (outcome: string) => webhooksReceived.inc({ event: label, outcome });
    if (!verified) {
      count("unauthorized");
      return { status: 401, outcome: "unauthorized", error: "signature does not match event payload and secret" };
    }
    let payload: { action?: unknown };
    try {
      payload = JSON.parse(delivery.body.toString("utf8")) as { action?: unknown };
    } catch {
      count("invalid");
      return { status: 400, outcome: "invalid", error: "Invalid JSON" };
    }
    if (!handles(delivery.name, payload)) {
      count("ignored");
      return { status: 200, outcome: "ignored" };
    }
    const stored = { id: delivery.id, name: delivery.name as EmitterWebhookEventName, payload: inboxPayload(payload) };
    await store(stored).catch((error: unknown) => {
      count("error");
      throw error;
    });
    count("stored");
    return { status: 200, outcome: "stored" };
  };
}

/** Whether `signature` is `sha256=` and the HMAC-SHA256 of `body` under `key` in hex, compared in constant time. */
function signedBy(key: Buffer, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", key).update(body).digest("hex")}`, "latin1");
  const given = Buffer.from(signature, "latin1");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const GITHUB_EVENTS = new Set<string>(emitterEventNames.filter((name) => !name.includes(".")));
