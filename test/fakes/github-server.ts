import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { generateKeyPairSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { GeneratedInstallation } from "./github-installation.js";

export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}

export interface FakeComment {
  id: number;
  /** owner/repo#number, as the request named it */
  issue: string;
  body: string;
  edits: number;
  /** the app whose installation token posted it, as GitHub's `performed_via_github_app.id`; null for anyone else */
  appId: number | null;
}

/** An organization's project (v2) on the fake: its number fields, and each issue's item with its values. */
export interface FakeProject {
  id: string;
  /** field name → id and type */
  fields: Map<string, { id: string; dataType: string }>;
  /** issue node id (`I_<owner>/<repo>#<number>`) → its item's id and number values by field id */
  items: Map<string, { id: string; values: Map<string, number> }>;
}

/** A person who can sign in to the dashboard through the fake's OAuth web flow, and the repositories they can read. */
export interface FakeUser {
  login: string;
  id: number;
  /** installation id → repository ids the person can read there */
  installations: Record<number, number[]>;
}

/** An app registered through the manifest flow: on whose account, from which manifest, and what the conversion gave. */
export interface FakeRegisteredApp {
  id: number;
  /** the organisation's login, or null for the signed-in person's own account */
  organisation: string | null;
  manifest: Record<string, any>;
  code: string;
  /** the credentials the conversion answered with, once it was called */
  converted: { pem: string; webhookSecret: string; clientId: string; clientSecret: string } | null;
}

export interface FakeCheckRun {
  /** owner/repo, as the request named it */
  repository: string;
  name: string;
  headSha: string;
  conclusion: string | undefined;
}

/**
 * GitHub's REST API as a child-process app sees it through GHE_HOST (nock cannot reach into another process):
 * installation tokens, `.github/closeloop.yml` from a map, issue comments (create, edit, list), labels (create
 * a repository's label, add to and remove from an issue), check runs (create) and organizations' projects (v2, through
 * GraphQL) kept in memory. Any other route is a 404 and is recorded,
 * so a test or benchmark can assert or count the exact calls.
 */
export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly configs = new Map<string, string>();
  readonly comments = new Map<number, FakeComment>();
  /** each repository's labels (owner/repo → names), as `POST /labels` and the add create them */
  readonly repositoryLabels = new Map<string, string[]>();
  /** each issue's labels (owner/repo#number → names); a script sets them for a person's change */
  readonly issueLabels = new Map<string, string[]>();
  /** organizations' projects (v2) by `login/number` (GraphQL: lookup, field creation, add item, set a number) */
  readonly projects = new Map<string, FakeProject>();
  /** check runs created (`POST /repos/{owner}/{repo}/check-runs`), in order */
  readonly checkRuns: FakeCheckRun[] = [];
  /** people who can sign in, by login; `signInAs` says who the next authorize request is (GitHub's own session) */
  readonly users = new Map<string, FakeUser>();
  signInAs: string | null = null;
  /** the OAuth client the web flow accepts */
  oauthClient = { id: "Iv1.fake", secret: "fake-secret" };
  /** apps registered through the manifest flow, in order (`POST [/organizations/<org>]/settings/apps/new`) */
  readonly registeredApps: FakeRegisteredApp[] = [];
  /** GitHub's clock for the `Date` header (closeloop dates its label writes by it); the real one unless set */
  clock: () => Date = () => new Date();
  /** an installation with many repositories whose issue and comment listings this serves (backfills) */
  installation: GeneratedInstallation | undefined;
  /**
   * GitHub's primary rate limit per installation token, scaled down: `limit` calls a window of `windowMs`, announced
   * in `x-ratelimit-*` headers, then 403 "API rate limit exceeded" with `x-ratelimit-remaining: 0` until the reset
   * (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api)
   */
  rateLimit: { limit: number; windowMs: number } | undefined;
  /** requests answered 403 for the rate limit */
  rateLimited = 0;
  /** asked of every request before it is answered: a promise returned holds the answer until it settles */
  hold: ((request: RecordedRequest) => Promise<void> | undefined) | undefined;
  /** each installation token's current window */
  readonly #windows = new Map<string, { endsAt: number; used: number }>();
  #server: Server | undefined;
  #nextCommentId = 1000;
  #nextCode = 0;
  /** OAuth codes handed out by authorize and not yet exchanged → login */
  readonly #codes = new Map<string, string>();
  /** the app each installation token was minted for (the JWT's `iss`), so comments posted with it are the app's */
  readonly #tokenApps = new Map<string, number>();

  async start(): Promise<string> {
    this.#server = createServer((request, response) => void this.#handle(request, response));
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of request) body += chunk;
    const path = (request.url ?? "").replace(/^\/api\/v3/, "");
    const recorded = { method: request.method ?? "", path, body };
    this.requests.push(recorded);
    await this.hold?.(recorded);
    response.setHeader("date", this.clock().toUTCString());
    const installationToken = /^token (ghs_\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (installationToken !== undefined && !this.#withinRateLimit(installationToken, response)) return;
    if (this.installation?.answer(request.method ?? "", path, `http://${request.headers.host}/api/v3`, response))
      return;
    if (this.#oauth(request.method ?? "", path, body, request.headers.authorization, response)) return;
    if (this.#manifestFlow(request.method ?? "", path, body, response)) return;
    const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (request.method === "POST" && token) {
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      const minted = `ghs_fake${token[1]}`;
      const appId = jwtIssuer(request.headers.authorization);
      if (appId !== null) this.#tokenApps.set(minted, appId);
      sendJson(response, 201, {
        token: minted,
        expires_at: expires,
        permissions: { issues: "write" },
        repository_selection: "all",
      });
      return;
    }
    const config = /^\/repos\/([^/]+)\/([^/]+)\/contents\/\.github(?:%2F|\/)closeloop\.yml/.exec(path);
    if (request.method === "GET" && config) {
      const yaml = this.configs.get(`${config[1]}/${config[2]}`.toLowerCase());
      if (yaml !== undefined) {
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(yaml);
        return;
      }
    }
    const bearer = /^(?:token|bearer) (\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (
      this.#comment(
        request.method ?? "",
        path,
        body,
        response,
        (bearer === undefined ? undefined : this.#tokenApps.get(bearer)) ?? null,
      )
    )
      return;
    if (this.#label(request.method ?? "", path, body, response)) return;
    if (this.#checkRun(request.method ?? "", path, body, response)) return;
    if (request.method === "POST" && path === "/graphql") return this.#graphql(body, response);
    sendJson(response, 404, { message: "Not Found" });
  }

  /** Counts the call against the token's window and announces what is left; false (answered 403) when none is. */
  #withinRateLimit(token: string, response: ServerResponse): boolean {
    if (this.rateLimit === undefined) return true;
    const now = Date.now();
    let window = this.#windows.get(token);
    if (window === undefined || window.endsAt <= now) {
      // GitHub's reset is in whole seconds: the window ends on one.
      window = { endsAt: Math.ceil((now + this.rateLimit.windowMs) / 1000) * 1000, used: 0 };
      this.#windows.set(token, window);
    }
    const exhausted = window.used >= this.rateLimit.limit;
    if (!exhausted) window.used++;
    response.setHeader("x-ratelimit-limit", String(this.rateLimit.limit));
    response.setHeader("x-ratelimit-remaining", String(this.rateLimit.limit - window.used));
    response.setHeader("x-ratelimit-reset", String(window.endsAt / 1000));
    response.setHeader("x-ratelimit-used", String(window.used));
    response.setHeader("x-ratelimit-resource", "core");
    if (!exhausted) return true;
    this.rateLimited++;
    sendJson(response, 403, {
      message: "API rate limit exceeded for installation. Try again after the reset.",
      documentation_url: "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
    });
    return false;
  }

  /**
   * GitHub's manifest flow (docs.github.com, "Registering a GitHub App from a manifest"): the form post of `manifest`
   * to `[/organizations/<org>]/settings/apps/new?state=…` registers the app there (as if the signed-in person clicked
   * *Create*) and sends the browser to the manifest's `redirect_url` with a code and the state; `POST
   * /app-manifests/<code>/conversions` answers the app's id, key, webhook secret and OAuth client, once per code.
   */
  #manifestFlow(method: string, path: string, body: string, response: ServerResponse): boolean {
    const url = new URL(path, "http://fake");
    const page = /^(?:\/organizations\/([^/]+))?\/settings\/apps\/new$/.exec(url.pathname);
    if (method === "POST" && page) {
      const manifest = JSON.parse(new URLSearchParams(body).get("manifest") ?? "null");
      if (!manifest?.redirect_url || !manifest?.hook_attributes?.url) {
        sendJson(response, 422, { message: "Invalid GitHub App configuration" });
        return true;
      }
      const app: FakeRegisteredApp = {
        id: 900_000 + this.registeredApps.length + 1,
        organisation: page[1] ?? null,
        manifest,
        code: `manifest-code-${this.registeredApps.length + 1}`,
        converted: null,
      };
      this.registeredApps.push(app);
      const back = new URL(manifest.redirect_url);
      back.searchParams.set("code", app.code);
      if (url.searchParams.has("state")) back.searchParams.set("state", url.searchParams.get("state")!);
      response.writeHead(302, { location: back.toString() }).end();
      return true;
    }
    const conversion = /^\/app-manifests\/([^/]+)\/conversions$/.exec(url.pathname);
    if (method !== "POST" || !conversion) return false;
    const app = this.registeredApps.find((candidate) => candidate.code === conversion[1] && !candidate.converted);
    if (app === undefined) {
      sendJson(response, 404, { message: "Not Found" });
      return true;
    }
    app.converted = {
      pem: generateKeyPairSync("rsa", { modulusLength: 2048 })
        .privateKey.export({ type: "pkcs1", format: "pem" })
        .toString(),
      webhookSecret: `whsec-${app.id}`,
      clientId: `Iv1.app${app.id}`,
      clientSecret: `secret-${app.id}`,
    };
    const slug = String(app.manifest.name).toLowerCase();
    sendJson(response, 201, {
      id: app.id,
      slug,
      name: app.manifest.name,
      owner: { login: app.organisation ?? "octocat", type: app.organisation ? "Organization" : "User" },
      html_url: `http://fake-github/apps/${slug}`,
      pem: app.converted.pem,
      webhook_secret: app.converted.webhookSecret,
      client_id: app.converted.clientId,
      client_secret: app.converted.clientSecret,
    });
    return true;
  }

  #graphql(body: string, response: ServerResponse): void {
    sendJson(response, 200, graphqlAnswer(this.projects, body));
  }

  /**
   * GitHub's OAuth web flow and the user API a signed-in person's token reaches: GET /login/oauth/authorize (as if the
   * person `signInAs` approved: back to redirect_uri with a one-time code and the state), POST
   * /login/oauth/access_token (the code for a user token; a used or unknown code is GitHub's bad_verification_code),
   * GET /user, /user/installations and /user/installations/{id}/repositories for that token (401 for any other).
   */
  #oauth(
    method: string,
    path: string,
    body: string,
    authorization: string | undefined,
    response: ServerResponse,
  ): boolean {
    const url = new URL(path, "http://fake");
    if (method === "GET" && url.pathname === "/login/oauth/authorize") {
      const redirect = url.searchParams.get("redirect_uri");
      if (url.searchParams.get("client_id") !== this.oauthClient.id || !redirect || this.signInAs === null) {
        sendJson(response, 400, { message: "bad authorize request" });
        return true;
      }
      const code = `code-${this.signInAs}-${++this.#nextCode}`;
      this.#codes.set(code, this.signInAs);
      const back = new URL(redirect);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      response.writeHead(302, { location: back.toString() }).end();
      return true;
    }
    if (method === "POST" && url.pathname === "/login/oauth/access_token") {
      const sent = JSON.parse(body || "{}") as { client_id?: string; client_secret?: string; code?: string };
      const login = sent.code === undefined ? undefined : this.#codes.get(sent.code);
      if (
        sent.client_id !== this.oauthClient.id ||
        sent.client_secret !== this.oauthClient.secret ||
        login === undefined
      ) {
        sendJson(response, 200, {
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
          error_uri: "https://docs.github.com",
        });
        return true;
      }
      this.#codes.delete(sent.code!);
      sendJson(response, 200, { access_token: `ghu_${login}`, token_type: "bearer", scope: "" });
      return true;
    }
    if (method !== "GET" || !/^\/user(\/|$)/.test(url.pathname)) return false;
    const user = this.users.get(/^token ghu_(\S+)$/i.exec(authorization ?? "")?.[1] ?? "");
    if (user === undefined) {
      sendJson(response, 401, { message: "Bad credentials" });
      return true;
    }
    const repositories = /^\/user\/installations\/(\d+)\/repositories$/.exec(url.pathname);
    if (url.pathname === "/user") sendJson(response, 200, { login: user.login, id: user.id });
    else if (url.pathname === "/user/installations") {
      const installations = Object.keys(user.installations).map((id) => ({ id: Number(id) }));
      sendJson(response, 200, { total_count: installations.length, installations });
    } else if (repositories) {
      const ids = user.installations[Number(repositories[1])] ?? [];
      sendJson(response, 200, { total_count: ids.length, repositories: ids.map((id) => ({ id })) });
    } else sendJson(response, 404, { message: "Not Found" });
    return true;
  }

  /** POST and GET /repos/{owner}/{repo}/issues/{number}/comments, PATCH /repos/{owner}/{repo}/issues/comments/{id}. */
  #comment(method: string, path: string, body: string, response: ServerResponse, appId: number | null): boolean {
    const json = (status: number, value: unknown) => sendJson(response, status, value);
    const onIssue = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments(?:\?.*)?$/.exec(path);
    if (onIssue && method === "POST") {
      const comment = {
        id: this.#nextCommentId++,
        issue: `${onIssue[1]}/${onIssue[2]}#${onIssue[3]}`,
        body: (JSON.parse(body) as { body: string }).body,
        edits: 0,
        appId,
      };
      this.comments.set(comment.id, comment);
      json(201, { id: comment.id, body: comment.body });
      return true;
    }
    if (onIssue && method === "GET") {
      const issue = `${onIssue[1]}/${onIssue[2]}#${onIssue[3]}`;
      json(
        200,
        [...this.comments.values()]
          .filter((comment) => comment.issue === issue)
          .map(({ id, body: text, appId: app }) => ({
            id,
            body: text,
            performed_via_github_app: app === null ? null : { id: app },
          })),
      );
      return true;
    }
    const edit = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path);
    const existing = edit ? this.comments.get(Number(edit[1])) : undefined;
    if (existing && method === "PATCH") {
      existing.body = (JSON.parse(body) as { body: string }).body;
      existing.edits += 1;
      json(200, { id: existing.id, body: existing.body });
      return true;
    }
    return false;
  }

  /** POST /repos/{owner}/{repo}/check-runs: 201 with the run's id. */
  #checkRun(method: string, path: string, body: string, response: ServerResponse): boolean {
    const create = /^\/repos\/([^/]+\/[^/]+)\/check-runs$/.exec(path);
    if (!create || method !== "POST") return false;
    const sent = JSON.parse(body) as { name: string; head_sha: string; status?: string; conclusion?: string };
    this.checkRuns.push({
      repository: create[1]!,
      name: sent.name,
      headSha: sent.head_sha,
      conclusion: sent.conclusion,
    });
    sendJson(response, 201, {
      id: this.checkRuns.length,
      name: sent.name,
      head_sha: sent.head_sha,
      status: sent.status ?? "queued",
      conclusion: sent.conclusion ?? null,
    });
    return true;
  }

  /**
   * POST /repos/{owner}/{repo}/labels (201, or 422 already_exists), POST /repos/{owner}/{repo}/issues/{number}/labels
   * (200 with the issue's labels; a label the repository lacks is created), DELETE …/labels/{name} (200 with the
   * labels left, or 404 when the issue does not carry it). Names compare ignoring case, as GitHub does.
   */
  #label(method: string, path: string, body: string, response: ServerResponse): boolean {
    const json = (status: number, value: unknown) => sendJson(response, status, value);
    const labelObjects = (names: string[]) =>
      names.map((name, id) => ({ id: id + 1, name, color: "ededed", default: false, description: null }));
    const same = (a: string) => (b: string) => a.toLowerCase() === b.toLowerCase();
    const learn = (repository: string, names: string[]) => {
      const known = this.repositoryLabels.get(repository) ?? [];
      for (const name of names) if (!known.some(same(name))) known.push(name);
      this.repositoryLabels.set(repository, known);
    };
    const create = /^\/repos\/([^/]+\/[^/]+)\/labels$/.exec(path);
    if (create && method === "POST") {
      const sent = JSON.parse(body) as { name: string; color?: string; description?: string };
      if ((this.repositoryLabels.get(create[1]!) ?? []).some(same(sent.name))) {
        json(422, {
          message: "Validation Failed",
          errors: [{ resource: "Label", code: "already_exists", field: "name" }],
        });
      } else {
        learn(create[1]!, [sent.name]);
        json(201, {
          id: 1,
          name: sent.name,
          color: sent.color ?? "ededed",
          default: false,
          description: sent.description ?? null,
        });
      }
      return true;
    }
    const onIssue = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/labels(?:\/([^/?]+))?$/.exec(path);
    if (!onIssue) return false;
    const issue = `${onIssue[1]}#${onIssue[2]}`;
    const current = this.issueLabels.get(issue) ?? [];
    if (method === "POST" && onIssue[3] === undefined) {
      const adding = (JSON.parse(body) as { labels: string[] }).labels;
      learn(onIssue[1]!, adding);
      const labels = [...current, ...adding.filter((name) => !current.some(same(name)))];
      this.issueLabels.set(issue, labels);
      json(200, labelObjects(labels));
      return true;
    }
    if (method === "DELETE" && onIssue[3] !== undefined) {
      const name = decodeURIComponent(onIssue[3]);
      if (!current.some(same(name))) {
        json(404, { message: "Label does not exist" });
        return true;
      }
      const labels = current.filter((label) => !same(name)(label));
      this.issueLabels.set(issue, labels);
      json(200, labelObjects(labels));
      return true;
    }
    return false;
  }
}

/**
 * The GraphQL documents closeloop sends for the project field (src/github/projects.ts), told apart by their root
 * field; a project that is not in `projects` is NOT_FOUND (HTTP 200), as GitHub answers.
 */
function graphqlAnswer(projects: Map<string, FakeProject>, body: string): unknown {
  const { query, variables: v } = JSON.parse(body) as { query: string; variables: Record<string, any> };
  const byId = (id: string) => [...projects.values()].find((project) => project.id === id);
  if (query.includes("addProjectV2ItemById")) {
    const project = byId(v.project)!;
    const item = project.items.get(v.content) ?? { id: `PVTI_${project.items.size + 1}`, values: new Map() };
    project.items.set(v.content, item);
    return { data: { addProjectV2ItemById: { item: { id: item.id } } } };
  }
  const set = (itemId: string, value: number) => {
    const item = [...byId(v.project)!.items.values()].find((candidate) => candidate.id === itemId)!;
    item.values.set(v.field, value);
    return { projectV2Item: { id: item.id } };
  };
  // Several sets in one document: alias s<i> sets $item<i> to $value<i>.
  if (query.includes("s0: updateProjectV2ItemFieldValue")) {
    const count = Object.keys(v).filter((name) => name.startsWith("item")).length;
    return {
      data: Object.fromEntries(Array.from({ length: count }, (_, i) => [`s${i}`, set(v[`item${i}`], v[`value${i}`])])),
    };
  }
  if (query.includes("updateProjectV2ItemFieldValue"))
    return { data: { updateProjectV2ItemFieldValue: set(v.item, v.value) } };
  if (query.includes("fields(first: 100)")) {
    const fields = [...byId(v.project)!.fields].map(([name, field], i) => ({ ...field, name, databaseId: i + 1 }));
    return { data: { node: { fields: { nodes: fields } } } };
  }
  if (query.includes("createProjectV2Field")) {
    const project = byId(v.project)!;
    const field = { id: `PVTF_${project.fields.size + 1}`, dataType: "NUMBER" };
    project.fields.set(v.name, field);
    return { data: { createProjectV2Field: { projectV2Field: { id: field.id } } } };
  }
  const project = projects.get(`${v.login}/${v.number}`);
  const issue =
    v.repoOwner === undefined ? {} : { repository: { issue: { id: `I_${v.repoOwner}/${v.repo}#${v.issue}` } } };
  if (!project)
    return {
      data: { owner: { projectV2: null }, ...issue },
      errors: [
        {
          type: "NOT_FOUND",
          path: ["owner", "projectV2"],
          message: `Could not resolve to a ProjectV2 with the number ${v.number}.`,
        },
      ],
    };
  return { data: { owner: { projectV2: { id: project.id, field: project.fields.get(v.field) ?? null } }, ...issue } };
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(value));
}

/** The app id an app's JWT (`Authorization: Bearer <jwt>`) names in its `iss` claim; null for any other credential. */
function jwtIssuer(authorization: string | undefined): number | null {
  const payload = /^bearer [^.]+\.([^.]+)\./i.exec(authorization ?? "")?.[1];
  if (payload === undefined) return null;
  try {
    const issuer = Number((JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown }).iss);
    return Number.isInteger(issuer) ? issuer : null;
  } catch {
    return null;
  }
}
