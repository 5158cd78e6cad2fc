import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/process.js";
import { sourceFiles } from "./support/source-files.js";

/**
 * dependency-cruiser (npm run deps) checks imports; these check calls, which it cannot see: a worker handed the Prisma
 * client or an installation's Octokit could call it without importing anything (docs/ARCHITECTURE.md, Layers).
 */
const files = sourceFiles().map((path) => ({
  path: relative(ROOT, path),
  lines: readFileSync(path, "utf8").split("\n"),
}));

function callsOutside(home: string, call: RegExp): string[] {
  return files
    .filter((file) => !file.path.startsWith(home))
    .flatMap((file) =>
      file.lines.flatMap((line, i) => (call.test(line) ? [`${file.path}:${i + 1}: ${line.trim()}`] : [])),
    );
}

/** A Prisma model call (`prisma.issue.findMany(`, `tx.link.count(`) or raw SQL. */
const PRISMA_CALL =
  /\$(queryRaw|executeRaw|queryRawUnsafe|executeRawUnsafe|transaction)\b|\b(prisma|tx)\.[a-z]\w*\.(find\w*|create\w*|update\w*|upsert|delete\w*|count|aggregate|groupBy)\(/;
/** An Octokit call: REST, pagination, GraphQL or a raw request. */
const OCTOKIT_CALL = /\boctokit\.(rest\.|paginate\b|graphql\b|request\b)/;

describe("calls stay in their layer", () => {
  it("reads the source tree", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(callsOutside("src/nowhere/", PRISMA_CALL).length).toBeGreaterThan(0);
    expect(callsOutside("src/nowhere/", OCTOKIT_CALL).length).toBeGreaterThan(0);
  });

  it("only src/store/ calls the database", () => {
    expect(callsOutside("src/store/", PRISMA_CALL)).toEqual([]);
  });

  it("only src/github/ calls GitHub", () => {
    expect(callsOutside("src/github/", OCTOKIT_CALL)).toEqual([]);
  });
});
