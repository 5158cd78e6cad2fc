import type { IncomingMessage } from "node:http";

/**
 * A request's raw bytes, or null once more than `limit` arrived: from then on the rest is read and dropped, never kept,
 * so the caller can still answer 413 on the same connection.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on("data", (chunk: Buffer) => {
      if (length > limit) return;
      length += chunk.length;
      if (length > limit) {
        chunks.length = 0;
        resolve(null);
      } else chunks.push(chunk);
    });
    request.on("end", () => {
      if (length <= limit) resolve(Buffer.concat(chunks, length));
    });
    request.on("error", reject);
  });
}
