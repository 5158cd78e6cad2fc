import { describe, expect, it } from "vitest";
import { IMPACT_WINDOWS } from "../../src/domain/impact.js";
import {
  DEFAULT_IMPACT_QUERY,
  IMPACT_SORTS,
  IMPACT_STATES,
  ImpactQueryError,
  impactQueryString,
  issuesCounted,
  pageOfPages,
  parseImpactQuery,
  type ImpactQuery,
} from "../../src/domain/impact-query.js";
import { PROVIDERS } from "../../src/domain/link.js";

const parse = (query: string) => parseImpactQuery(new URLSearchParams(query));

describe("parseImpactQuery", () => {
  it("gives the defaults for no parameters", () => {
    expect(parse("")).toEqual({
      days: 30,
      sort: "reports",
      state: "open",
      repository: null,
      team: null,
      helpdesk: null,
      label: null,
      page: 1,
      perPage: 50,
    });
  });

  it.each([
    ...IMPACT_WINDOWS.map((days) => [`days=${days}`, { days }] as const),
    ...IMPACT_SORTS.map((sort) => [`sort=${sort}`, { sort }] as const),
    ...IMPACT_STATES.map((state) => [`state=${state}`, { state }] as const),
    ...PROVIDERS.map((helpdesk) => [`helpdesk=${helpdesk}`, { helpdesk }] as const),
    ["repository=Octo-Org/App.js", { repository: "Octo-Org/App.js" }],
    ["team=team%3A+billing", { team: "team: billing" }],
    ["label=reported%3A+daily", { label: "reported: daily" }],
    ["page=3&per_page=500", { page: 3, perPage: 500 }],
  ] as const)("%s", (query, expected) => {
    expect(parse(query)).toEqual({ ...DEFAULT_IMPACT_QUERY, ...expected });
  });

  it.each([
    ["days=10", "days", "days: must be one of 7, 14, 30, 90", ["7", "14", "30", "90"]],
    [
      "sort=title",
      "sort",
      "sort: must be one of reports, customers, last, age, waiting",
      ["reports", "customers", "last", "age", "waiting"],
    ],
    ["state=merged", "state", "state: must be one of open, closed, all", ["open", "closed", "all"]],
    [
      "helpdesk=olark",
      "helpdesk",
      "helpdesk: must be one of intercom, front, zendesk, helpscout, freshdesk",
      [...PROVIDERS],
    ],
    ["repository=app", "repository", "repository: must be owner/name", undefined],
    ["repository=a/b/c", "repository", "repository: must be owner/name", undefined],
    ["team=", "team", "team: must be 1 to 200 characters", undefined],
    [`label=${"x".repeat(201)}`, "label", "label: must be 1 to 200 characters", undefined],
    ["page=0", "page", "page: must be a whole number from 1 to 1000000", undefined],
    ["page=1.5", "page", "page: must be a whole number from 1 to 1000000", undefined],
    ["per_page=501", "per_page", "per_page: must be a whole number from 1 to 500", undefined],
    ["per_page=-1", "per_page", "per_page: must be a whole number from 1 to 500", undefined],
    ["sort=reports&sort=age", "sort", "sort: given more than once", undefined],
    [
      "order=desc",
      "order",
      "order: unknown parameter; the parameters are days, sort, state, repository, team, helpdesk, label, page, per_page",
      expect.any(Array),
    ],
  ] as const)("%s is an error naming %s", (query, parameter, message, allowed) => {
    let error: unknown;
    try {
      parse(query);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ImpactQueryError);
    expect(error).toMatchObject({ parameter, message, allowed });
  });
});

describe("impactQueryString", () => {
  it.each([
    [{}, ""],
    [{ days: 7, sort: "age", state: "all" }, "days=7&sort=age&state=all"],
    [
      { team: "team: billing", repository: "Octo/App", helpdesk: "front", label: "x&y" },
      "repository=Octo%2FApp&team=team%3A+billing&helpdesk=front&label=x%26y",
    ],
    [{ page: 2, perPage: 100 }, "page=2&per_page=100"],
  ] as const)("%j → %s", (change, expected) => {
    const query: ImpactQuery = { ...DEFAULT_IMPACT_QUERY, ...change };
    expect(impactQueryString(query)).toBe(expected);
    expect(parse(expected)).toEqual(query);
  });
});

describe("issuesCounted", () => {
  it.each([
    [0, false, "", "0 issues"],
    [1, false, "", "1 issue"],
    [1, false, "open", "1 open issue"],
    [9_999, false, "closed", "9,999 closed issues"],
    [10_000, false, "", "10,000 issues"],
    [10_000, true, "open", "10,000+ open issues"],
    [1, true, "", "1+ issues"],
  ] as const)("%d (capped: %s, %j) → %s", (total, capped, kind, text) => {
    expect(issuesCounted(total, capped, kind)).toBe(text);
  });
});

describe("pageOfPages", () => {
  it.each([
    // page, per page, total, capped, next page
    [1, 50, 0, false, false, "1 of 1"],
    [1, 50, 51, false, true, "1 of 2"],
    [2, 50, 51, false, false, "2 of 2"],
    [3, 50, 51, false, false, "3 of 2"], // past the end, as asked
    [1, 50, 10_000, true, true, "1 of 200+"],
    [200, 50, 10_000, true, true, "200 of 201+"],
    [201, 50, 10_000, true, true, "201 of 202+"],
    [250, 50, 10_000, true, false, "250 of 250"],
    [1, 2, 1, true, true, "1 of 2+"],
    [3, 2, 1, true, false, "3 of 3"],
  ] as const)(
    "page %d of %d a page, %d issues (capped: %s, next: %s) → %s",
    (page, perPage, total, capped, next, text) => {
      expect(pageOfPages(page, perPage, total, capped, next)).toBe(text);
    },
  );
});
