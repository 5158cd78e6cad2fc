import { describe, expect, it } from "vitest";
import {
  githubErrorCodes,
  githubMessage,
  githubRateLimitWait,
  githubRefused,
  githubStatus,
  graphqlErrorTypes,
} from "../../src/github/errors.js";

const NOW = Date.parse("2026-11-23T12:00:00Z");
/** Shaped as Octokit's GraphqlResponseError, thrown for a GraphQL answer of 200 with an `errors` list. */
const graphqlFailure = (type: string, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`Request failed due to following response errors:\n - ${type}`), {
    name: "GraphqlResponseError",
    headers,
    errors: [{ type, message: type.toLowerCase() }],
  });
/** Shaped as @octokit/plugin-throttling throws a RATE_LIMITED answer when throttling is on: no status, the answer in `response`. */
const throttledGraphqlFailure = (headers: Record<string, string>) => {
  const answer = { status: 200, headers, data: { data: null, errors: [{ type: "RATE_LIMITED", message: "limit" }] } };
  return Object.assign(new Error("GraphQL Rate Limit Exceeded"), { response: answer, data: answer.data });
};
const failure = (status: number, headers: Record<string, string> = {}, message = "Not allowed") =>
  Object.assign(new Error(`HttpError: ${message}`), { status, response: { headers, data: { message } } });

describe("githubRateLimitWait", () => {
  it.each([
    ["a 429 without headers: a minute", failure(429), 60_000],
    [
      "a 403 with Retry-After",
      failure(403, { "retry-after": "120" }, "You have exceeded a secondary rate limit."),
      120_000,
    ],
    [
      "an exhausted limit: until its reset",
      failure(
        403,
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 90) },
        "API rate limit exceeded",
      ),
      90_000,
    ],
    ["an exhausted limit with no reset: a minute", failure(403, { "x-ratelimit-remaining": "0" }), 60_000],
    [
      "a secondary limit named only in the message: a minute",
      failure(403, {}, "You have exceeded a secondary rate limit. Please wait a few minutes."),
      60_000,
    ],
    ["a 403 with an unreadable Retry-After: a minute", failure(403, { "retry-after": "soon" }), 60_000],
    [
      "a refusal (no permission)",
      failure(403, { "x-ratelimit-remaining": "4999" }, "Resource not accessible by integration"),
      undefined,
    ],
    ["a refusal (archived repository)", failure(403, {}, "Repository was archived so is read-only."), undefined],
    ["a 404", failure(404, { "retry-after": "5" }), undefined],
    ["an error without a status", new Error("socket hang up"), undefined],
    [
      "GraphQL's RATE_LIMITED (HTTP 200): until its reset",
      graphqlFailure("RATE_LIMITED", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 30) }),
      30_000,
    ],
    ["GraphQL's RATE_LIMIT, no headers: a minute", graphqlFailure("RATE_LIMIT"), 60_000],
    [
      "GraphQL's RATE_LIMITED as the throttling plugin throws it: until its reset",
      throttledGraphqlFailure({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 45) }),
      45_000,
    ],
    [
      "GraphQL's RATE_LIMITED as the throttling plugin throws it, no headers: a minute",
      throttledGraphqlFailure({}),
      60_000,
    ],
    [
      "a REST 422 whose errors carry a type is no GraphQL answer",
      Object.assign(failure(422), { response: { headers: {}, data: { errors: [{ type: "RATE_LIMITED" }] } } }),
      undefined,
    ],
    ["GraphQL's NOT_FOUND", graphqlFailure("NOT_FOUND"), undefined],
    ["GraphQL's FORBIDDEN", graphqlFailure("FORBIDDEN", { "x-ratelimit-remaining": "4000" }), undefined],
  ])("%s", (_, error, wait) => {
    expect(githubRateLimitWait(error, NOW)).toBe(wait);
  });
});

describe("graphqlErrorTypes", () => {
  it("reads the types of a GraphQL answer's errors, and none of anything else", () => {
    expect(graphqlErrorTypes(graphqlFailure("NOT_FOUND"))).toEqual(["NOT_FOUND"]);
    expect(graphqlErrorTypes(throttledGraphqlFailure({}))).toEqual(["RATE_LIMITED"]);
    expect(graphqlErrorTypes(failure(404))).toEqual([]);
    expect(graphqlErrorTypes(undefined)).toEqual([]);
  });
});

describe("githubMessage", () => {
  it("prefers GitHub's own message to the error's", () => {
    expect(githubMessage(failure(403, {}, "Resource not accessible by integration"))).toBe(
      "Resource not accessible by integration",
    );
    expect(githubMessage(new Error("socket hang up"))).toBe("socket hang up");
  });
});

describe("githubStatus", () => {
  it.each([
    ["an Octokit error", failure(404), 404],
    ["an error without a status (no answer came)", new Error("socket hang up"), undefined],
    ["a status that is not a number", Object.assign(new Error("odd"), { status: "404" }), undefined],
    ["nothing thrown yet", undefined, undefined],
    ["null", null, undefined],
  ])("%s", (_, error, status) => {
    expect(githubStatus(error)).toBe(status);
  });
});

describe("githubRefused", () => {
  it.each([
    ["a 403 without rate-limit signs", failure(403, {}, "Resource not accessible by integration"), true],
    ["a 451: the repository blocked for legal reasons", failure(451, {}, "Repository access blocked"), true],
    ["a 403 rate limit", failure(403, { "retry-after": "30" }), false],
    ["a 429", failure(429), false],
    ["a 404", failure(404), false],
  ])("%s", (_, error, refused) => {
    expect(githubRefused(error)).toBe(refused);
  });
});

describe("githubErrorCodes", () => {
  it("reads each code of a 422's errors, skipping entries without one", () => {
    const invalid = Object.assign(new Error("Validation Failed"), {
      status: 422,
      response: {
        headers: {},
        data: {
          message: "Validation Failed",
          errors: [{ resource: "Label", code: "already_exists" }, { field: "name" }, null],
        },
      },
    });
    expect(githubErrorCodes(invalid)).toEqual(["already_exists"]);
    expect(githubErrorCodes(failure(422))).toEqual([]);
    expect(githubErrorCodes(new Error("socket hang up"))).toEqual([]);
  });
});
