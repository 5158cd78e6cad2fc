/**
 * The commands a Markdown page shows a person to run: each command line of its `sh` and `console` code blocks (a
 * `console` block's lines after `$ `; `&&` splits a line, `\` continues one, a heredoc stays with its command), and each
 * inline code span that starts with a program (`closeloop …`, `npm …`, `docker …`, …) or sets a variable (`NAME=value`).
 */

const PROGRAMS = [
  "closeloop",
  "npx",
  "npm",
  "node",
  "docker",
  "openssl",
  "sqlite3",
  "pg_dump",
  "pg_restore",
  "cloudflared",
  "ngrok",
  "curl",
  "apt-get",
  "fdk",
];
const INLINE_COMMAND = new RegExp(`^(?:(?:${PROGRAMS.join("|")}) |[A-Z][A-Z0-9_]*=\\S)`);
const FENCE = /^( *)```(\w*)\n([\s\S]*?)^ *```/gm;

export function readmeCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const [, , language, body] of markdown.matchAll(FENCE)) {
    if (language === "console")
      for (const line of body!.split("\n")) {
        const command = /^\s*\$ (.*)$/.exec(line)?.[1];
        if (command) commands.push(command.trim());
      }
    if (language === "sh") commands.push(...shellCommands(body!));
  }
  const prose = markdown.replace(FENCE, "");
  for (const [, span] of prose.matchAll(/`([^`]+)`/g)) {
    const text = span!.replace(/\s*\n\s*/g, " ").trim();
    if (INLINE_COMMAND.test(text)) commands.push(text);
  }
  return [...new Set(commands)];
}

function shellCommands(body: string): string[] {
  const lines = body.split("\n").map((line) => line.trim());
  const commands: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/\s+#\s.*$/, "");
    if (line === "" || line.startsWith("#")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1).trimEnd()} ${lines[++i]!}`;
    const heredoc = /<<(\w+)$/.exec(line)?.[1];
    if (heredoc) {
      const end = lines.indexOf(heredoc, i + 1);
      commands.push([line, ...lines.slice(i + 1, end + 1)].join("\n"));
      i = end;
      continue;
    }
    commands.push(...line.split(" && ").map((part) => part.trim()));
  }
  return commands;
}
