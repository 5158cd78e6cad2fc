import type { Output } from "../../src/cli/output.js";

/** A CLI run's output, kept: lines (a table's rows joined with |), error lines, the JSON and the raw text printed. */
export function captureCli() {
  const lines: string[] = [];
  const errors: string[] = [];
  let json: unknown;
  let text = "";
  const out: Output = {
    line: (text) => lines.push(text),
    table: (header, rows) => lines.push(...[header, ...rows].map((r) => r.join("|"))),
    json: (value) => (json = value),
    text: (value) => (text += value),
  };
  return { out, error: (line: string) => errors.push(line), lines, errors, json: () => json, text: () => text };
}
