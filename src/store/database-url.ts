import { resolve } from "node:path";

export type Engine = "sqlite" | "postgresql";

export type DatabaseTarget =
  | { engine: "sqlite"; path: string; display: string }
  | { engine: "postgresql"; connectionString: string; display: string };

export const DEFAULT_DATABASE_URL = "file:./data/closeloop.db";

export class DatabaseUrlError extends Error {
  override name = "DatabaseUrlError";
}

/** Reads `DATABASE_URL`: `file:<path>` is SQLite, `postgres://` / `postgresql://` is PostgreSQL (README, Environment). */
export function parseDatabaseUrl(url: string = DEFAULT_DATABASE_URL): DatabaseTarget {
  if (url.startsWith("file:")) {
    const path =
      url
        .slice("file:".length)
        .replace(/^\/\/(?=\/)/, "")
        .split("?")[0] ?? "";
    if (path === "") throw new DatabaseUrlError("DATABASE_URL: file: needs a path, e.g. file:./data/closeloop.db");
    const absolute = path === ":memory:" ? path : resolve(path);
    return { engine: "sqlite", path: absolute, display: `sqlite ${absolute}` };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DatabaseUrlError("DATABASE_URL: not a valid postgres:// URL");
    }
    if (!parsed.hostname) throw new DatabaseUrlError("DATABASE_URL: the postgres:// URL has no host");
    // Never print the password: status lines and errors show this instead.
    if (parsed.password) parsed.password = "***";
    return { engine: "postgresql", connectionString: url, display: `postgresql ${parsed.toString()}` };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new DatabaseUrlError(
    `DATABASE_URL: unknown scheme ${scheme ? `"${scheme}:"` : "(none)"}; use file:<path> for SQLite or postgres://… for PostgreSQL`,
  );
}
