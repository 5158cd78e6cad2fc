import { existsSync } from "node:fs";

/**
 * Loads `.env` from the working folder, as Probot does, before the environment is validated: Probot's setup flow
 * writes the new app's credentials there, and the CLI must see the same DATABASE_URL as the server. Variables
 * already set in the environment win.
 */
export function loadDotEnv(path = ".env"): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
