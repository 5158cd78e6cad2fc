import { createHmac } from "node:crypto";

/**
 * The stored form of a helpdesk customer id (README, Labels: customer ids are stored only as keyed hashes): HMAC-SHA256 under
 * the app's secret, over the provider, the helpdesk account and the id, so equal ids of two helpdesks stay apart and
 * the database alone cannot tell which customer a hash is (small numeric ids cannot be tried one by one without the
 * key). Null when the helpdesk names no customer.
 */
export function customerHash(key: string, provider: string, account: string, customerId: string | null): string | null {
  if (customerId === null || customerId === "") return null;
  return createHmac("sha256", key).update(`closeloop customer\n${provider}\n${account}\n${customerId}`).digest("base64url");
}
