import { describe, expect, it } from "vitest";
import { githubMessage, githubRateLimitWait } from "../../src/labels/github-errors.js";

const NOW = Date.parse("2026-11-23T12:00:00Z");
const failure = (status: number, headers: Record<string, string> = {}, message = "Not allowed") =>
  Object.assign(new Error(`HttpError: ${message}`), { status, response: { headers, data: { message } } });

describe("githubRateLimitWait", () => {
  it.each([
    ["a 429 without headers: a minute", failure(429), 60_000],
    ["a 403 with Retry-After", failure(403, { "retry-after": "120" }, "You have exceeded a secondary rate limit."), 120_000],
    ["an exhausted limit: until its reset", failure(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 90) }, "API rate limit exceeded"), 90_000],
    ["an exhausted limit with no reset: a minute", failure(403, { "x-ratelimit-remaining": "0" }), 60_000],
    ["a secondary limit named only in the message: a minute", failure(403, {}, "You have exceeded a secondary rate limit. Please wait a few minutes."), 60_000],
    ["a 403 with an unreadable Retry-After: a minute", failure(403, { "retry-after": "soon" }), 60_000],
    ["a refusal (no permission)", failure(403, { "x-ratelimit-remaining": "4999" }, "Resource not accessible by integration"), undefined],
    ["a refusal (archived repository)", failure(403, {}, "Repository was archived so is read-only."), undefined],
    ["a 404", failure(404, { "retry-after": "5" }), undefined],
    ["an error without a status", new Error("socket hang up"), undefined],
  ])("%s", (_, error, wait) => {
    expect(githubRateLimitWait(error, NOW)).toBe(wait);
  });
});

describe("githubMessage", () => {
  it("prefers GitHub's own message to the error's", () => {
    expect(githubMessage(failure(403, {}, "Resource not accessible by integration"))).toBe("Resource not accessible by integration");
    expect(githubMessage(new Error("socket hang up"))).toBe("socket hang up");
  });
});
