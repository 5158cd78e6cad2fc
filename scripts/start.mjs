#!/usr/bin/env node
// `npm start`: starts the built server (dist/server.js) at once. `npm install` builds; a source changed since then is
// built first, under the build lock, so two starts in one checkout build once and both come up (issue #22).
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { BuildError, ensureBuilt } from "./build.mjs";

const root = join(import.meta.dirname, "..");
try {
  await ensureBuilt(root);
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  console.error(`closeloop: cannot start: ${error.message}`);
  process.exit(1);
}
await import(pathToFileURL(join(root, "dist/server.js")).href);
