/** Where a command writes: human lines and tables, or one JSON document. */
export interface Output {
  line(text: string): void;
  table(header: string[], rows: string[][]): void;
  json(value: unknown): void;
  /** text exactly as given (a CSV document with its own line ends) */
  text(value: string): void;
}

export function consoleOutput(write: (text: string) => void = (text) => process.stdout.write(text)): Output {
  return {
    line: (text) => write(`${text}\n`),
    table(header, rows) {
      const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
      const render = (cells: string[]) =>
        `  ${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`.trimEnd();
      write(`${render(header)}\n`);
      for (const row of rows) write(`${render(row)}\n`);
    },
    json: (value) => write(`${JSON.stringify(value, null, 2)}\n`),
    text: write,
  };
}

/** A progress line on a terminal's stderr, redrawn in place; `done` ends it, so the next one starts below. */
export function redrawProgressLine(line: string, done: boolean): void {
  process.stderr.write(`\r\x1b[2K${line}${done ? "\n" : ""}`);
}
