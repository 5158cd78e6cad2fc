import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/process.js";

/**
 * Every relative link in the README and docs/ reaches a file of this repository, and every `#anchor` a heading of
 * the page it names, as GitHub renders them: an operator following the README from a clone or on GitHub lands where
 * the text says.
 */

const PAGES = [
  "README.md",
  "CONTRIBUTING.md",
  "CHANGELOG.md",
  ...readdirSync(join(ROOT, "docs"), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".md"))
    .map((path) => join("docs", path)),
  ...readdirSync(join(ROOT, "src/providers"), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith("README.md"))
    .map((path) => join("src/providers", path)),
].filter((page) => existsSync(join(ROOT, page)));

/** Markdown with its fenced blocks and code spans blanked: links and headings in them are text. */
function prose(path: string): string {
  return readFileSync(path, "utf8")
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
    .replace(/`[^`\n]*`/g, "");
}

/**
 * The anchors GitHub gives a page's headings: the heading's text lowercased, with what is neither a letter, a digit,
 * a space, `-` nor `_` dropped and spaces made `-`; a repeated one gets `-1`, `-2`… Plus explicit `<a name|id>`s.
 */
function anchors(path: string): Set<string> {
  const text = readFileSync(path, "utf8").replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  const found = new Set<string>();
  const times = new Map<string, number>();
  for (const [, heading] of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    const seen = times.get(slug) ?? 0;
    times.set(slug, seen + 1);
    found.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  for (const [, name] of text.matchAll(/<a (?:name|id)="([^"]+)"/g)) found.add(name!);
  return found;
}

describe("links in the README and docs/", () => {
  it.each(PAGES)("%s: every relative link and anchor resolves", (page) => {
    const path = join(ROOT, page);
    const links = [...prose(path).matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)|^\[[^\]]+\]:\s*(\S+)/gm)]
      .map((match) => (match[1] ?? match[2])!)
      .filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));
    const broken = links.filter((target) => {
      const [file, anchor] = target.split("#") as [string, string | undefined];
      const destination = file === "" ? path : resolve(dirname(path), decodeURIComponent(file));
      if (!existsSync(destination)) return true;
      if (anchor === undefined || !destination.endsWith(".md") || statSync(destination).isDirectory()) return false;
      return !anchors(destination).has(anchor);
    });
    expect({ page, broken }).toEqual({ page, broken: [] });
  });
});
