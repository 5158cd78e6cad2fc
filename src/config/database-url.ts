import { resolve } from "node:path";

export type Engine = "sqlite" | "postgresql";

export type DatabaseTarget =
  | { engine: "sqlite"; path: string; display: string }
  | { engine: "postgresql"; connectionString: string; display: string };

export const DEFAULT_DATABASE_URL = "file:./data/closeloop.db";

export class DatabaseUrlError extends Error {
  override name = "DatabaseUrlError";
}

/**
 * The query parameters of a PostgreSQL URL that carry a secret: libpq (and node-postgres, which closeloop uses) take the
 * password as `?password=` as well as in the user-info part, and the client key's passphrase as `?sslpassword=`.
 */
const SECRET_PARAMETERS = new Set(["password", "sslpassword"]);

/**
 * A PostgreSQL URL as status lines, logs, errors and the operations page show it: every password replaced by `***`,
 * whether in the user-info part or a query parameter (any case: a parameter named by an operator is matched loosely,
 * since showing a secret by mistake costs more than masking a harmless value).
 */
export function maskDatabaseUrl(url: URL): string {
  const masked = new URL(url.href);
  if (masked.password) masked.password = "***";
  for (const name of [...masked.searchParams.keys()])
    if (SECRET_PARAMETERS.has(name.toLowerCase())) masked.searchParams.set(name, "***");
  return masked.href;
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
    return { engine: "postgresql", connectionString: url, display: `postgresql ${maskDatabaseUrl(parsed)}` };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new DatabaseUrlError(
    `DATABASE_URL: unknown scheme ${scheme ? `"${scheme}:"` : "(none)"}; use file:<path> for SQLite or postgres://… for PostgreSQL`,
  );
}
