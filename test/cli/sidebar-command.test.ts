import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { sidebarCommand } from "../../src/cli/sidebar-command.js";
import type { Output } from "../../src/cli/output.js";
import { tempFolder } from "../support/temp-folders.js";

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  const out: Output = {
    line: (text) => lines.push(text),
    table: () => {},
    json: (v) => lines.push(JSON.stringify(v)),
    text: () => {},
  };
  return { lines, errors, out, error: (line: string) => errors.push(line) };
}

describe("closeloop sidebar zendesk|freshdesk", () => {
  const env = { CLOSELOOP_PUBLIC_URL: "https://closeloop.example.com", ZENDESK_EMAIL: "ops@example.com" };

  it("writes the Zendesk app: the ticket sidebar at closeloop's URL with signedUrls, translations and logos", () => {
    const folder = join(tempFolder("closeloop-zd-"), "app");
    const io = capture();
    expect(sidebarCommand(["zendesk"], { out: folder, json: false }, io.out, env)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({
      signedUrls: true,
      frameworkVersion: "2.0",
      defaultLocale: "en",
      author: { email: "ops@example.com" },
      location: { support: { ticket_sidebar: { url: "https://closeloop.example.com/closeloop/sidebar/zendesk" } } },
    });
    expect(JSON.parse(readFileSync(join(folder, "translations/en.json"), "utf8")).app.name).toBe("closeloop");
    const logo = readFileSync(join(folder, "assets/logo.png"));
    expect(logo.subarray(1, 4).toString()).toBe("PNG");
    expect(logo.readUInt32BE(16)).toBe(320);
    expect(readFileSync(join(folder, "assets/logo-small.png")).readUInt32BE(16)).toBe(128);
    expect(io.lines[0]).toBe(`wrote the zendesk app for https://closeloop.example.com to ${folder} (4 files)`);
  });

  it("writes the Freshdesk app: request templates with the secret from a secure iparam, and the panel", () => {
    const folder = join(tempFolder("closeloop-fd-"), "app");
    const io = capture();
    const prefixed = { CLOSELOOP_PUBLIC_URL: "https://ops.example.com/tools" };
    expect(sidebarCommand(["freshdesk"], { out: folder, json: true }, io.out, prefixed)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8"));
    expect(manifest["platform-version"]).toBe("3.0");
    // Freshworks takes no new Node 18 app since March 2026: the engines its current samples declare.
    expect(manifest.engines).toEqual({ node: "24.11.0", fdk: "10.1.2" });
    expect(manifest.modules.support_ticket.location.ticket_sidebar.url).toBe("index.html");
    const requests = JSON.parse(readFileSync(join(folder, "config/requests.json"), "utf8"));
    expect(Object.keys(manifest.modules.common.requests).sort()).toEqual(Object.keys(requests).sort());
    expect(requests.closeloopLinks.schema).toEqual({
      protocol: "https",
      method: "GET",
      host: "ops.example.com",
      path: "/tools/closeloop/sidebar/api/links",
      headers: { Authorization: "Bearer <%= iparam.closeloop_secret %>" },
      query: { helpdesk: "freshdesk", conversation: "<%= context.conversation %>" },
    });
    expect(requests.closeloopUnlink.schema.method).toBe("DELETE");
    expect(JSON.parse(readFileSync(join(folder, "config/iparams.json"), "utf8")).closeloop_secret).toMatchObject({
      secure: true,
      required: true,
    });
    const page = readFileSync(join(folder, "app/index.html"), "utf8");
    expect(page).toContain('<script src="{{{appclient}}}"></script>');
    expect(readFileSync(join(folder, "app/scripts/app.js"), "utf8")).toContain('"links":"closeloopLinks"');
    expect(readdirSync(join(folder, "app/scripts")).sort()).toEqual(["app.js", "panel.js"]);
    expect(JSON.parse(io.lines[0]!)).toMatchObject({ helpdesk: "freshdesk", folder });
  });

  it("refuses another helpdesk, and a missing CLOSELOOP_PUBLIC_URL, writing nothing", async () => {
    const saved = process.env.CLOSELOOP_PUBLIC_URL;
    delete process.env.CLOSELOOP_PUBLIC_URL;
    try {
      const io = capture();
      expect(await runCli(["sidebar", "intercom", "--out", "/nonexistent/x"], io.out, io.error)).toBe(2);
      expect(await runCli(["sidebar", "zendesk", "--out", "/nonexistent/x"], io.out, io.error)).toBe(1);
      expect(io.errors).toEqual([
        "closeloop: usage: closeloop sidebar zendesk|freshdesk [--out DIR]",
        "closeloop: set CLOSELOOP_PUBLIC_URL to the https address Zendesk reaches closeloop at: the app calls it",
      ]);
      expect(existsSync("/nonexistent/x")).toBe(false);
    } finally {
      if (saved !== undefined) process.env.CLOSELOOP_PUBLIC_URL = saved;
    }
  });
});
