import type { Output } from "../../src/cli/output.js";

/** A CLI run's output, kept: lines (a table's rows joined with |), error lines, and the JSON printed. */
export function captureCli() {
  const lines: string[] = [];
  const errors: string[] = [];
  let json: unknown;
  const out: Output = {
    line: (text) => lines.push(text),
    table: (header, rows) => lines.push(...[header, ...rows].map((r) => r.join("|"))),
    json: (value) => (json = value),
  };
  return { out, error: (line: string) => errors.push(line), lines, errors, json: () => json };
}
