import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { providers } from "../../src/providers/registry.js";

/**
 * Each helpdesk has one set-up page, docs/setup/<id>.md, linked from the README's "Connect a helpdesk": every
 * variable its settings read, the webhook path closeloop serves, its sidebar, and how to check the connection.
 */

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");

/** The environment variables a provider's configure reads, found by letting it read an empty, recording environment. */
function variablesRead(id: string): string[] {
  const seen = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_target, name) => {
      if (typeof name === "string") seen.add(name);
      return undefined;
    },
  });
  providers.get(id as never)!.configure(env);
  return [...seen];
}

describe.each([...providers.values()])("the $name set-up page", (definition) => {
  const path = `docs/setup/${definition.id}.md`;

  it("exists and is linked from the README's Connect a helpdesk", () => {
    expect(existsSync(new URL(path, ROOT))).toBe(true);
    const readme = read("README.md");
    const section = readme.slice(readme.indexOf("## Connect a helpdesk"), readme.indexOf("## Production"));
    expect(section).toContain(`](${path})`);
  });

  it("says where every credential comes from, the webhook, the sidebar and how to check it", () => {
    const page = read(path);
    const variables = variablesRead(definition.id);
    expect(variables.length).toBeGreaterThan(0);
    for (const variable of [...variables, `${definition.id.toUpperCase()}_WEBHOOK_SECRET`])
      expect(page, variable).toContain(`\`${variable}\``);
    expect(page).toContain(`<CLOSELOOP_PUBLIC_URL>/closeloop/webhooks/${definition.id}`);
    expect(page).toContain("(../../README.md#sidebars)");
    expect(page).toContain(`helpdesks   ${definition.id} ok, `);
  });

  it("is the one place the webhook set-up is described: the provider's README points to it", () => {
    expect(read(`src/providers/${definition.id}/README.md`)).toContain(`(../../../docs/setup/${definition.id}.md)`);
  });
});
