import nock from "nock";
import { describe, expect, it } from "vitest";
import { RepositoryAccess, TokenRefused } from "../../src/dashboard/access.js";

const API = "https://ghe.example.com/api/v3";

function nockInstallations(
  token: string,
  pages: { installations: number[][]; repositories: Record<number, number[][]> },
) {
  const scope = nock("https://ghe.example.com");
  pages.installations.forEach((ids, index) => {
    const next: Record<string, string> =
      index + 1 < pages.installations.length
        ? { link: `<${API}/user/installations?per_page=100&page=${index + 2}>; rel="next"` }
        : {};
    scope
      .get("/api/v3/user/installations")
      .query(index === 0 ? { per_page: 100 } : { per_page: 100, page: index + 1 })
      .matchHeader("authorization", `token ${token}`)
      .reply(200, { total_count: 0, installations: ids.map((id) => ({ id })) }, next);
  });
  for (const [installation, repositoryPages] of Object.entries(pages.repositories)) {
    repositoryPages.forEach((ids, index) => {
      const path = `/api/v3/user/installations/${installation}/repositories`;
      const next: Record<string, string> =
        index + 1 < repositoryPages.length
          ? { link: `<https://ghe.example.com${path}?per_page=100&page=${index + 2}>; rel="next"` }
          : {};
      scope
        .get(path)
        .query(index === 0 ? { per_page: 100 } : { per_page: 100, page: index + 1 })
        .reply(200, { total_count: 0, repositories: ids.map((id) => ({ id })) }, next);
    });
  }
}

describe("RepositoryAccess", () => {
  it("lists every page of the person's installations and their repositories, on the GHE API", async () => {
    nockInstallations("ghu_a", { installations: [[1], [2]], repositories: { 1: [[10, 11], [12]], 2: [[20]] } });
    const access = new RepositoryAccess(API);
    expect([...(await access.readable("ghu_a")).ids]).toEqual([10n, 11n, 12n, 20n]);
  });

  it("asks GitHub again only after the cache's few minutes, per token", async () => {
    let now = 0;
    const access = new RepositoryAccess(API, 5 * 60_000, () => now);
    nockInstallations("ghu_b", { installations: [[1]], repositories: { 1: [[10]] } });
    await access.readable("ghu_b");
    now = 5 * 60_000 - 1;
    expect([...(await access.readable("ghu_b")).ids]).toEqual([10n]);
    nockInstallations("ghu_c", { installations: [[1]], repositories: { 1: [[30]] } });
    expect([...(await access.readable("ghu_c")).ids]).toEqual([30n]);
    now = 5 * 60_000;
    nockInstallations("ghu_b", { installations: [[1]], repositories: { 1: [[10, 40]] } });
    expect([...(await access.readable("ghu_b")).ids]).toEqual([10n, 40n]);
  });

  it("throws TokenRefused on 401 and GitHub's own error on anything else, caching neither", async () => {
    const access = new RepositoryAccess(API);
    nock("https://ghe.example.com")
      .get("/api/v3/user/installations")
      .query(true)
      .reply(401, { message: "Bad credentials" });
    await expect(access.readable("ghu_d")).rejects.toBeInstanceOf(TokenRefused);
    nock("https://ghe.example.com").get("/api/v3/user/installations").query(true).reply(500, { message: "boom" });
    await expect(access.readable("ghu_d")).rejects.toMatchObject({ status: 500 });
    nockInstallations("ghu_d", { installations: [[]], repositories: {} });
    expect([...(await access.readable("ghu_d")).ids]).toEqual([]);
  });
});
