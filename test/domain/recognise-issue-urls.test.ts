import { describe, expect, it } from "vitest";
import { recogniseIssueUrls } from "../../src/domain/recognise-issue-urls.js";
import { LINEAR_BOUND_MS } from "../support/linear-time.js";

const issue42 = {
  owner: "octo-org",
  repo: "hello-world",
  number: 42,
  url: "https://github.com/Octo-Org/Hello-World/issues/42",
};

describe("recogniseIssueUrls", () => {
  it.each([
    ["bare", "Filed https://github.com/Octo-Org/Hello-World/issues/42 for this."],
    ["comment fragment", "https://github.com/Octo-Org/Hello-World/issues/42#issuecomment-1234567"],
    ["trailing slash and query", "https://github.com/Octo-Org/Hello-World/issues/42/?q=is%3Aopen"],
    ["in parentheses with a full stop", "(tracked in https://github.com/Octo-Org/Hello-World/issues/42)."],
    ["markdown link", "[#42](https://github.com/Octo-Org/Hello-World/issues/42)"],
    ["HTML anchor", '<p>See <a href="https://github.com/Octo-Org/Hello-World/issues/42" rel="noopener">#42</a></p>'],
    ["HTML text", "<p>https://github.com/Octo-Org/Hello-World/issues/42</p>"],
    ["HTML-escaped quotes", "&quot;https://github.com/Octo-Org/Hello-World/issues/42&quot;"],
    ["http scheme", "http://github.com/Octo-Org/Hello-World/issues/42"],
    ["host in capitals", "https://GITHUB.COM/Octo-Org/Hello-World/issues/42"],
    ["leading zeros", "https://github.com/Octo-Org/Hello-World/issues/042"],
    ["quoted e-mail reply (plain text is read whole)", "> https://github.com/Octo-Org/Hello-World/issues/42"],
    ["backticks (plain text has no code spans)", "`https://github.com/Octo-Org/Hello-World/issues/42`"],
  ])("recognises %s", (_form, text) => {
    expect(recogniseIssueUrls(text, "github.com")).toEqual([issue42]);
  });

  it.each([
    ["a pull request", "https://github.com/octo-org/hello-world/pull/42"],
    ["the issue list", "https://github.com/octo-org/hello-world/issues"],
    ["a new issue form", "https://github.com/octo-org/hello-world/issues/new"],
    ["an issue sub-page", "https://github.com/octo-org/hello-world/issues/42/linked_closing_reference"],
    ["issue zero", "https://github.com/octo-org/hello-world/issues/0"],
    ["an issue number past int32", "https://github.com/octo-org/hello-world/issues/99999999999"],
    ["another host", "https://gitlab.com/octo-org/hello-world/issues/42"],
    ["a look-alike host", "https://github.com.evil.com/octo-org/hello-world/issues/42"],
    ["a host that hides github.com in its path", "https://evil.com/github.com/octo-org/hello-world/issues/42"],
    ["www", "https://www.github.com/octo-org/hello-world/issues/42"],
    ["the API", "https://api.github.com/repos/octo-org/hello-world/issues/42"],
    ["credentials", "https://me:token@github.com/octo-org/hello-world/issues/42"],
    ["a bad owner", "https://github.com/-octo/hello-world/issues/42"],
    ["a dot-dot repository", "https://github.com/octo-org/../issues/42"],
    ["no scheme", "github.com/octo-org/hello-world/issues/42"],
  ])("ignores %s", (_form, text) => {
    expect(recogniseIssueUrls(text, "github.com")).toEqual([]);
  });

  it("returns each issue once, in order, keeping the case first written", () => {
    const text = [
      "https://github.com/Acme/App/issues/2",
      "https://github.com/acme/app/issues/1",
      "https://github.com/ACME/APP/issues/2#issuecomment-1",
      "https://github.com/acme/other/issues/2",
    ].join(" and ");
    expect(recogniseIssueUrls(text, "github.com")).toEqual([
      { owner: "acme", repo: "app", number: 2, url: "https://github.com/Acme/App/issues/2" },
      { owner: "acme", repo: "app", number: 1, url: "https://github.com/acme/app/issues/1" },
      { owner: "acme", repo: "other", number: 2, url: "https://github.com/acme/other/issues/2" },
    ]);
  });

  it.each([
    [
      "GitHub Enterprise over http",
      "github.example.com",
      "http://github.example.com/Team/repo.js/issues/3 https://github.com/a/b/issues/1",
      [{ owner: "team", repo: "repo.js", number: 3, url: "http://github.example.com/Team/repo.js/issues/3" }],
    ],
    [
      "GitHub Enterprise on a port",
      "GitHub.Example.com:8443",
      "https://github.example.com:8443/team/repo_1/issues/3 https://github.example.com/team/repo_1/issues/4",
      [{ owner: "team", repo: "repo_1", number: 3, url: "https://github.example.com:8443/team/repo_1/issues/3" }],
    ],
    [
      "an owner with an underscore, as Enterprise allows",
      "github.example.com",
      "https://github.example.com/john_doe/tools/issues/9",
      [{ owner: "john_doe", repo: "tools", number: 9, url: "https://github.example.com/john_doe/tools/issues/9" }],
    ],
  ])("%s", (_case, host, text, expected) => {
    expect(recogniseIssueUrls(text, host)).toEqual(expected);
  });

  it.each(["", "https://github.com", "github.com/", "user@github.com"])("refuses githubHost %j", (host) => {
    expect(() => recogniseIssueUrls("https://github.com/a/b/issues/1", host)).toThrow(TypeError);
  });

  it("reads a 1 MB message with 20,000 issue URLs in linear time", () => {
    const text = Array.from(
      { length: 20_000 },
      (_, i) => `<a href="https://github.com/acme/app/issues/${i + 1}">x</a>`,
    ).join("");
    const started = performance.now();
    const references = recogniseIssueUrls(text, "github.com");
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
    expect(references).toHaveLength(20_000);
  });
});
