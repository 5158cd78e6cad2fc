#!/usr/bin/env node
// The `closeloop` command (`npx closeloop …`): runs the compiled CLI, built by `npm install` / `npm run build`.
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("closeloop: not built yet; run `npm install` (or `npm run build`) in the closeloop folder first");
  process.exit(1);
}
const { loadDotEnv } = await import(new URL("../dist/config/dotenv.js", import.meta.url).href);
loadDotEnv();
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));
