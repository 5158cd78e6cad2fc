import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}

/**
 * GitHub's REST API as a child-process app sees it through GHE_HOST (nock cannot reach into another process):
 * installation tokens, and `.github/closeloop.yml` from a map. Any other route is a 404 and is recorded, so a test
 * can assert the exact calls.
 */
export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly configs = new Map<string, string>();
  #server: Server | undefined;

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
    response.writeHead(404, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ message: "Not Found" }));
  }
}
