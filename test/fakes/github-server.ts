import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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
}

/**
 * GitHub's REST API as a child-process app sees it through GHE_HOST (nock cannot reach into another process):
 * installation tokens, `.github/closeloop.yml` from a map, and issue comments (create, edit, list) kept in memory.
 * Any other route is a 404 and is recorded, so a test can assert the exact calls.
 */
export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly configs = new Map<string, string>();
  readonly comments = new Map<number, FakeComment>();
  #server: Server | undefined;
  #nextCommentId = 1000;

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
    this.requests.push({ method: request.method ?? "", path, body });
    const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (request.method === "POST" && token) {
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      response.writeHead(201, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ token: `ghs_fake${token[1]}`, expires_at: expires, permissions: { issues: "write" }, repository_selection: "all" }));
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
    if (this.#comment(request.method ?? "", path, body, response)) return;
    response.writeHead(404, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ message: "Not Found" }));
  }

  /** POST and GET /repos/{owner}/{repo}/issues/{number}/comments, PATCH /repos/{owner}/{repo}/issues/comments/{id}. */
  #comment(method: string, path: string, body: string, response: ServerResponse): boolean {
    const json = (status: number, value: unknown) => response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(value));
    const onIssue = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments(?:\?.*)?$/.exec(path);
    if (onIssue && method === "POST") {
      const comment = { id: this.#nextCommentId++, issue: `${onIssue[1]}/${onIssue[2]}#${onIssue[3]}`, body: (JSON.parse(body) as { body: string }).body, edits: 0 };
      this.comments.set(comment.id, comment);
      json(201, { id: comment.id, body: comment.body });
      return true;
    }
    if (onIssue && method === "GET") {
      const issue = `${onIssue[1]}/${onIssue[2]}#${onIssue[3]}`;
      json(200, [...this.comments.values()].filter((comment) => comment.issue === issue).map(({ id, body: text }) => ({ id, body: text })));
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
}
