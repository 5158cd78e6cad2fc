import nock from "nock";

/**
 * GitHub's answer (nock) to "which repositories can this user token read": `GET /user/installations` with one
 * installation, then its repositories (README, Dashboard: who sees what).
 */
export function nockReadable(token: string, repositoryIds: readonly number[], api = "https://api.github.com") {
  nock(api)
    .get("/user/installations")
    .query({ per_page: 100 })
    .matchHeader("authorization", `token ${token}`)
    .reply(200, { total_count: 1, installations: [{ id: 1 }] });
  nock(api)
    .get("/user/installations/1/repositories")
    .query({ per_page: 100 })
    .matchHeader("authorization", `token ${token}`)
    .reply(200, {
      total_count: repositoryIds.length,
      repositories: repositoryIds.map((id) => ({ id, full_name: `x/${id}` })),
    });
}
