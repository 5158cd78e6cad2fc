import { describe, expect, it } from "vitest";
import { panelCanvas } from "../../src/sidebar/intercom.js";
import type { PanelJson } from "../../src/sidebar/service.js";

const panel = (repositories?: string[]): PanelJson => ({
  helpdesk: "intercom",
  conversation: "1",
  conversationUrl: "https://app.intercom.com/a/inbox/abc123/inbox/conversation/1",
  links: [],
  ...(repositories && { repositories }),
});
const repositoryField = (repositories?: string[]) =>
  panelCanvas(panel(repositories)).canvas.content.components.find((c) => c.id === "repository");
const names = (count: number) => Array.from({ length: count }, (_, i) => `octo/app${i}`);

describe("the Intercom canvas's repository field (Canvas Kit: a dropdown takes 2 to 10 options)", () => {
  it.each([
    { count: 1, field: { type: "input", value: "octo/app0" } },
    { count: 2, field: { type: "dropdown", options: names(2).map((id) => ({ type: "option", id, text: id })) } },
    { count: 10, field: { type: "dropdown" } },
    { count: 11, field: { type: "input", placeholder: "owner/repo" } },
  ])("$count repositories: $field.type", ({ count, field }) => {
    expect(repositoryField(names(count))).toMatchObject({ id: "repository", label: "Repository", ...field });
  });

  it("an input for many repositories is empty; no create form without CLOSELOOP_SIDEBAR_REPOSITORIES", () => {
    expect(repositoryField(names(11))).not.toHaveProperty("value");
    expect(repositoryField()).toBeUndefined();
  });

  it("uses only component fields and styles Canvas Kit defines", () => {
    const components = panelCanvas(panel(names(3)), { notice: "n", error: "e" }).canvas.content.components;
    const allowed: Record<string, string[]> = {
      text: ["type", "text", "style"],
      button: ["type", "id", "label", "style", "action"],
      input: ["type", "id", "label", "placeholder", "value"],
      textarea: ["type", "id", "label"],
      dropdown: ["type", "id", "label", "options"],
      divider: ["type"],
    };
    for (const component of components) {
      const type = String(component.type);
      expect(allowed[type], type).toBeDefined();
      expect(Object.keys(component).filter((key) => !allowed[type]!.includes(key))).toEqual([]);
      if (type === "text") expect(["header", "paragraph", "muted", "error"]).toContain(component.style);
      if (type === "button") expect(["primary", "secondary", "link"]).toContain(component.style);
    }
  });
});
