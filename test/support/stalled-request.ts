import { connect, type Socket } from "node:net";

export interface StalledAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A client that sends a POST's headers (and `bodyStart`, if any) and then stalls, never sending the rest of the body
 * its Content-Length announces: the answer it gets can only come from a server that did not wait to read the body.
 * Resolves with the answer once the server has sent it, or `hold` (to release later) when the server is still waiting.
 */
export function stalledPost(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  bodyStart = "",
): { answer: Promise<StalledAnswer>; socket: Socket } {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  const lines = [
    `POST ${path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.write(`${lines.join("\r\n")}\r\n\r\n${bodyStart}`);
  const answer = new Promise<StalledAnswer>((resolve, reject) => {
    let received = "";
    const parse = () => {
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      const [statusLine, ...headerLines] = received.slice(0, end).split("\r\n");
      const parsed = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(":")).toLowerCase(),
          line.slice(line.indexOf(":") + 1).trim(),
        ]),
      );
      let body = received.slice(end + 4);
      if (parsed["transfer-encoding"] === "chunked") {
        if (!body.endsWith("0\r\n\r\n")) return;
        body = dechunk(body);
      } else if (Buffer.byteLength(body) < Number(parsed["content-length"] ?? 0)) return;
      resolve({ status: Number(statusLine!.split(" ")[1]), headers: parsed, body });
      socket.destroy();
    };
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      parse();
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`connection closed before an answer: ${JSON.stringify(received)}`)));
  });
  return { answer, socket };
}

function dechunk(chunked: string): string {
  let body = "";
  let at = 0;
  for (;;) {
    const lineEnd = chunked.indexOf("\r\n", at);
    const size = parseInt(chunked.slice(at, lineEnd), 16);
    if (!size) return body;
    body += chunked.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
