import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/domain/link.js";
import { providers } from "../../src/providers/registry.js";
import { enabledSidebars, sidebars, sidebarsSwitchedOn } from "../../src/sidebar/registry.js";
import { SidebarConfigError } from "../../src/sidebar/sidebar.js";

describe("the sidebar registry", () => {
  it("declares one sidebar per helpdesk, under its own id, in PROVIDERS order", () => {
    expect([...sidebars.keys()]).toEqual([...PROVIDERS]);
    for (const [id, definition] of sidebars) expect(definition.helpdesk).toBe(id);
  });

  it.each([...sidebars.values()].map((definition) => [definition.helpdesk, definition] as const))(
    "%s declares every fact the surfaces read",
    (_id, definition) => {
      for (const fact of [definition.mechanism, definition.proof, definition.secretVariable])
        expect(fact.trim()).not.toBe("");
      expect(definition.secretVariable).toMatch(/^[A-Z_]+$/);
      expect(typeof definition.configure).toBe("function");
      expect(typeof definition.mount).toBe("function");
      expect(typeof definition.proofCoversConversation).toBe("boolean");
      if (definition.vendorScript !== null) expect(new URL(definition.vendorScript).protocol).toBe("https:");
      // A page closeloop serves is framed by its vendor only; a sidebar without a page answers through the API.
      expect(definition.path !== "" || definition.apiBearer !== undefined).toBe(true);
      // The conversation URL it builds is one the helpdesk's own URL matcher reads back as the same conversation.
      const id = definition.helpdesk === "front" ? "cnv_abc" : "123";
      const url = definition.conversationUrl("acme", id);
      expect(providers.get(definition.helpdesk)!.urls.match(new URL(url))).toMatchObject({ conversationId: id });
    },
  );

  it("is off without its secret, and names the half-set variable", () => {
    expect(enabledSidebars({}, new Map()).size).toBe(0);
    expect(() => enabledSidebars({ FRONT_PLUGIN_SECRET: "s" }, new Map())).toThrow(SidebarConfigError);
    expect(() => enabledSidebars({ FRONT_PLUGIN_SECRET: "s" }, new Map())).toThrow(
      /^FRONT_PLUGIN_SECRET: .*FRONT_API_TOKEN/,
    );
    expect(() =>
      enabledSidebars({ ZENDESK_APP_PUBLIC_KEY: "/no/such/file.pem" }, new Map([["zendesk", {} as never]])),
    ).toThrow(/^ZENDESK_APP_PUBLIC_KEY: must be the app's public key/);
    expect(() =>
      enabledSidebars(
        { INTERCOM_CLIENT_SECRET: "c", INTERCOM_WORKSPACE_ID: "https://app.intercom.com/a/inbox/abc123" },
        new Map(),
      ),
    ).toThrow(/^invalid environment: INTERCOM_WORKSPACE_ID: must be letters and digits/);
    expect([
      ...enabledSidebars({ HELPSCOUT_SIDEBAR_SECRET: "s", INTERCOM_CLIENT_SECRET: "c" }, new Map()).keys(),
    ]).toEqual(["intercom", "helpscout"]);
    expect(sidebarsSwitchedOn({ HELPSCOUT_SIDEBAR_SECRET: "s", FRONT_PLUGIN_SECRET: " " })).toEqual(["helpscout"]);
  });
});
