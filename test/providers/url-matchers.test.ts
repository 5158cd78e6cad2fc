import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/domain/link.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";

const providersFolder = fileURLToPath(new URL("../../src/providers", import.meta.url));

describe("urlMatchers", () => {
  it("has exactly one matcher per provider", () => {
    const providers = urlMatchers.map((matcher) => matcher.provider);
    expect(providers.toSorted()).toEqual([...PROVIDERS].toSorted());
  });

  it("lists the same providers as the folders that hold a urls.ts", () => {
    const folders = readdirSync(providersFolder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(providersFolder, entry.name, "urls.ts")))
      .map((entry) => entry.name);
    expect(folders.toSorted()).toEqual([...PROVIDERS].toSorted());
  });
});
