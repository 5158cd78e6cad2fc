import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./process.js";

/** Every TypeScript file under src/ (absolute paths), the generated Prisma clients left out. */
export function sourceFiles(folder = join(ROOT, "src")): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}
