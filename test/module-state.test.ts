import { readFileSync } from "node:fs";
import { relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/process.js";
import { sourceFiles } from "./support/source-files.js";

/**
 * What a process remembers lives in objects the server builds and passes in, never in module variables
 * (docs/ARCHITECTURE.md, Layers): a module variable is shared by every caller in the process (tests, two databases,
 * two servers) and shows no owner. A top-level `let` or `var`, or a top-level empty container (`new Map()`,
 * `new WeakMap()`, `new Set()`, `[]`, `{}`), built to be filled later, is such state. Tables built from data
 * (`new Set(["solved", "closed"])`) are constants and pass.
 */
const CONTAINERS = new Set(["Map", "WeakMap", "Set", "WeakSet"]);

function emptyContainer(init: ts.Expression | undefined): boolean {
  if (init === undefined) return false;
  if (ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) return emptyContainer(init.expression);
  if (ts.isNewExpression(init))
    return ts.isIdentifier(init.expression) && CONTAINERS.has(init.expression.text) && !init.arguments?.length;
  if (ts.isArrayLiteralExpression(init)) return init.elements.length === 0;
  if (ts.isObjectLiteralExpression(init)) return init.properties.length === 0;
  return false;
}

function moduleState(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  return file.statements.flatMap((statement) => {
    if (!ts.isVariableStatement(statement)) return [];
    const mutable = !(statement.declarationList.flags & ts.NodeFlags.Const);
    return statement.declarationList.declarations
      .filter((declaration) => mutable || emptyContainer(declaration.initializer))
      .map((declaration) => {
        const line = file.getLineAndCharacterOfPosition(declaration.getStart()).line + 1;
        return `${path}:${line}: ${declaration.name.getText()}`;
      });
  });
}

describe("module-level state in src/", () => {
  it("finds what it looks for", () => {
    expect(
      moduleState(
        "example.ts",
        [
          "let running = false;",
          "const seen = new WeakMap<object, string>();",
          "export const ids = new Map<string, number>();",
          "const queue: string[] = [];",
          "const cache = {} as Record<string, number>;",
          'const DONE = new Set(["solved", "closed"]);',
          "const LIMIT = 5;",
          "function f() { let local = 1; const m = new Map(); return [local, m]; }",
        ].join("\n"),
      ),
    ).toEqual([
      "example.ts:1: running",
      "example.ts:2: seen",
      "example.ts:3: ids",
      "example.ts:4: queue",
      "example.ts:5: cache",
    ]);
  });

  it("holds none", () => {
    const found = sourceFiles().flatMap((path) => moduleState(relative(ROOT, path), readFileSync(path, "utf8")));
    expect(found).toEqual([]);
  });
});
