import { readFileSync } from "node:fs";
import fc from "fast-check";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/process.js";
import { sourceFiles } from "../support/source-files.js";

/**
 * Every regular expression in src/ (request paths, headers, query strings, webhook bodies, pasted URLs, and the
 * rest, found by the compiler rather than listed by hand, so a new one is checked too) does work linear in its
 * input. V8 backtracks: a regex like /\/+$/ is tried from each slash of a run and scans the run each time, so
 * 16,000 slashes cost ~130 ms of a blocked event loop.
 *
 * The property: on an input built as prefix + unit × n + suffix, the work for 8n is not much more than 8 × the work
 * for n (linear: ~8×; quadratic: ~64×; the bound is 24×). Work is this process's CPU time, the least of a few runs,
 * not wall-clock time, and it is compared only between two sizes of one input: a loaded machine slows both alike.
 * A run whose large input takes under 3 ms of CPU is linear enough to pass without timing the small one.
 */
function regexLiterals(): { regex: RegExp; files: string[] }[] {
  const found = new Map<string, { regex: RegExp; files: string[] }>();
  for (const path of sourceFiles()) {
    const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(source);
        const end = text.lastIndexOf("/");
        const seen = found.get(text) ?? { regex: new RegExp(text.slice(1, end), text.slice(end + 1)), files: [] };
        found.set(text, { ...seen, files: [...seen.files, path.slice(ROOT.length)] });
      }
      if (ts.isNewExpression(node) && node.expression.getText(source) === "RegExp")
        throw new Error(`${path}: a RegExp built at run time cannot be checked here; use a literal`);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return [...found.values()];
}

/** What a caller may do with the regex: test it, and scan a whole text with it (tried from every position). */
function work(regex: RegExp, input: string): void {
  const flags = regex.flags.replace(/[gy]/g, "");
  new RegExp(regex.source, flags).test(input);
  input.replace(new RegExp(regex.source, `${flags}g`), "");
}

function cpuMicros(run: () => void, times: number): number {
  let least = Infinity;
  for (let i = 0; i < times; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    least = Math.min(least, used.user + used.system);
  }
  return least;
}

const SMALL = 2000;
const SCREEN_MICROS = 3000;
const MAX_RATIO = 24;

/** null when linear; else the two measurements that say it is not. */
function superLinear(regex: RegExp, prefix: string, unit: string, suffix: string): string | null {
  const input = (n: number) => prefix + unit.repeat(Math.ceil(n / unit.length)) + suffix;
  const big = input(8 * SMALL);
  if (cpuMicros(() => work(regex, big), 1) < SCREEN_MICROS) return null;
  const bigMicros = cpuMicros(() => work(regex, big), 3);
  const small = input(SMALL);
  const smallMicros = Math.max(
    cpuMicros(() => work(regex, small), 3),
    1,
  );
  return bigMicros / smallMicros <= MAX_RATIO
    ? null
    : `${regex} on ${JSON.stringify(prefix)} + ${JSON.stringify(unit)} × n + ${JSON.stringify(suffix)}: ${smallMicros} µs for n = ${SMALL}, ${bigMicros} µs for 8n`;
}

/** The characters a regex names, and a few it does not: what an input built to make it backtrack is made of. */
function alphabet(regex: RegExp): string[] {
  const named = regex.source.replace(/\\[dDsSwWbB]|\\u\{?[0-9a-fA-F]+\}?|\\p\{[^}]*\}/g, "").replace(/\\(.)/g, "$1");
  return [...new Set([...named, "a", "0", " ", "\n", "/", "-", ".", "!"])];
}

describe("the regular expressions in src/", () => {
  const all = regexLiterals();

  it("are found, the front door's and the dashboard's among them", () => {
    expect(all.length).toBeGreaterThan(50);
    const files = new Set(all.flatMap((entry) => entry.files));
    for (const file of ["src/http/request-body.ts", "src/dashboard/auth.tsx", "src/domain/recognise-issue-urls.ts"])
      expect(files).toContain(file);
  });

  it("tells a quadratic regex apart: the old trailing-slash trim, /\\/+$/", () => {
    expect(superLinear(/\/+$/, "/a", "/", "x")).not.toBeNull();
  });

  it("each do linear work on runs of any character they name, whatever comes before and after", () => {
    const slow: string[] = [];
    for (const { regex, files } of all)
      for (const unit of alphabet(regex))
        for (const suffix of ["", "!", "\u0000", unit === "a" ? "0" : "a"]) {
          const found = superLinear(regex, "", unit, suffix);
          if (found !== null) slow.push(`${files.join(", ")}: ${found}`);
        }
    expect(slow).toEqual([]);
  }, 300_000);

  it("each do linear work on random repeated pieces (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.string({ maxLength: 3 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        fc.string({ maxLength: 3 }),
        ({ regex }, prefix, unit, suffix) => superLinear(regex, prefix, unit, suffix) === null,
      ),
      { numRuns: 300 },
    );
  }, 300_000);
});
