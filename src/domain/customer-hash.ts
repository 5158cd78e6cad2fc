import { createHmac } from "node:crypto";

/**
 * The stored form of a helpdesk customer id (README, Labels: customer ids are stored only as keyed hashes): HMAC-SHA256
 * under a key of its own, over the provider, the helpdesk account and the id, so equal ids of two helpdesks stay apart
 * and a hash says nothing without the key. The key derives from CLOSELOOP_SECRET_KEY, or is the one a database stored
 * before it (src/store/secrets.ts, README, Keys and secrets): it is not WEBHOOK_SECRET, whose leak or rotation thus
 * neither unmasks nor re-keys customers. Whoever holds the key could try small numeric ids one by one.
 * Null when the helpdesk names no customer.
 */
export function customerHash(key: string, provider: string, account: string, customerId: string | null): string | null {
  if (customerId === null || customerId === "") return null;
  return createHmac("sha256", key)
    .update(`closeloop customer\n${provider}\n${account}\n${customerId}`)
    .digest("base64url");
}
