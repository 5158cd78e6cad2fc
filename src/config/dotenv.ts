import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Loads `.env` from the working folder, as Probot does, before the environment is validated: the setup flow writes
 * the new app's credentials there, and the CLI must see the same DATABASE_URL as the server. Variables already set in
 * the environment win.
 */
export function loadDotEnv(path = ".env"): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * Sets `values` in `.env`, keeping every other line (comments, the person's own variables) as it was. A value with
 * newlines (the app's private key) is written double-quoted with `\n`, which Node's loadEnvFile reads back. The file
 * is readable by its owner only: it holds the app's private key.
 */
export function writeDotEnv(values: Record<string, string>, path = ".env"): void {
  const lines = existsSync(path) ? readFileSync(path, "utf8").replace(/\n$/, "").split("\n") : [];
  const pending = new Map(Object.entries(values));
  const kept = lines.map((line) => {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (key === undefined || !pending.has(key)) return line;
    const value = pending.get(key)!;
    pending.delete(key);
    return `${key}=${quoted(value)}`;
  });
  for (const [key, value] of pending) kept.push(`${key}=${quoted(value)}`);
  writeFileSync(path, `${kept.join("\n")}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode above applies only to a new file
}

function quoted(value: string): string {
  return /[\n"'#\s]/.test(value) ? `"${value.replace(/\r?\n/g, "\\n")}"` : value;
}
