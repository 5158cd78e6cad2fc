import { deflateSync } from "node:zlib";
import { trimTrailingSlashes } from "../domain/trailing-slashes.js";
import { PANEL_SCRIPT, PANEL_STYLESHEET } from "./assets.js";
import { panelDocument } from "./page.js";

/** A file of an app package: its path inside the package and its contents. */
export type PackageFiles = Record<string, string | Buffer>;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const DESCRIPTION = "The GitHub issues linked to this conversation, from closeloop: link, unlink and create issues.";

/**
 * The Zendesk app (ZAF v2, https://developer.zendesk.com/documentation/apps/app-developer-guide/manifest/): a
 * ticket-sidebar location served by closeloop, with `signedUrls` so Zendesk posts its JWT with the first load, the
 * English translations Zendesk requires, and the two logos an upload needs. Zip the folder's contents to upload it.
 */
export function zendeskAppFiles(publicUrl: string, authorEmail: string): PackageFiles {
  return {
    "manifest.json": json({
      name: "closeloop",
      author: { name: "closeloop", email: authorEmail, url: publicUrl },
      defaultLocale: "en",
      private: true,
      location: { support: { ticket_sidebar: { url: `${publicUrl}/closeloop/sidebar/zendesk`, flexible: true } } },
      version: "1.0.0",
      frameworkVersion: "2.0",
      signedUrls: true,
    }),
    "translations/en.json": json({
      app: {
        name: "closeloop",
        short_description: DESCRIPTION,
        long_description: `${DESCRIPTION} Served by your closeloop at ${publicUrl}.`,
        installation_instructions:
          "After installing, copy this app's public key into closeloop's ZENDESK_APP_PUBLIC_KEY and restart closeloop.",
      },
    }),
    "assets/logo.png": squarePng(320),
    "assets/logo-small.png": squarePng(128),
  };
}

/** The request templates the Freshdesk page calls closeloop through, by the panel's operations. */
const FRESHDESK_TEMPLATES = {
  links: { name: "closeloopLinks", method: "GET", path: "api/links" },
  link: { name: "closeloopLink", method: "POST", path: "api/links" },
  unlink: { name: "closeloopUnlink", method: "DELETE", path: "api/links" },
  search: { name: "closeloopSearch", method: "GET", path: "api/issues" },
  create: { name: "closeloopCreate", method: "POST", path: "api/issues" },
} as const;

/**
 * The Freshworks app for Freshdesk (platform 3.0): a ticket-sidebar page (the shared panel and an adapter that reads
 * the ticket from the app client), request templates that reach closeloop's JSON API through the platform's proxy
 * with the secret from a secure installation parameter, and that parameter. `fdk validate` and `fdk pack` in the
 * folder make the zip to upload.
 */
export function freshdeskAppFiles(publicUrl: string): PackageFiles {
  const base = new URL(publicUrl);
  const prefix = `${trimTrailingSlashes(base.pathname)}/closeloop/sidebar/`;
  const requests: Record<string, unknown> = {};
  for (const [op, template] of Object.entries(FRESHDESK_TEMPLATES)) {
    requests[template.name] = {
      schema: {
        protocol: base.protocol.replace(":", ""),
        method: template.method,
        host: base.host,
        path: `${prefix}${template.path}`,
        headers: {
          Authorization: "Bearer <%= iparam.closeloop_secret %>",
          ...(template.method === "GET" ? {} : { "Content-Type": "application/json" }),
        },
        ...(op === "links" && { query: { helpdesk: "freshdesk", conversation: "<%= context.conversation %>" } }),
        ...(op === "search" && { query: { helpdesk: "freshdesk", q: "<%= context.q %>" } }),
      },
    };
  }
  return {
    "manifest.json": json({
      "platform-version": "3.0",
      modules: {
        common: { requests: Object.fromEntries(Object.values(FRESHDESK_TEMPLATES).map((t) => [t.name, {}])) },
        support_ticket: { location: { ticket_sidebar: { url: "index.html", icon: "styles/images/icon.svg" } } },
      },
      // Freshworks stopped taking Node 18 apps in 2026; these are the versions its own current samples declare.
      engines: { node: "24.11.0", fdk: "10.1.2" },
    }),
    "config/requests.json": json(requests),
    "config/iparams.json": json({
      closeloop_secret: {
        display_name: "closeloop sidebar secret",
        description: "The value of FRESHDESK_SIDEBAR_SECRET in closeloop's environment.",
        type: "text",
        required: true,
        secure: true,
      },
    }),
    "app/index.html": FRESHDESK_PAGE,
    "app/scripts/panel.js": PANEL_SCRIPT,
    "app/scripts/app.js": FRESHDESK_ADAPTER.replace("__TEMPLATES__", JSON.stringify(templateNames())).replace(
      "__READS__",
      JSON.stringify(readOperations()),
    ),
    "app/styles/panel.css": PANEL_STYLESHEET,
    "app/styles/images/icon.svg": ICON_SVG,
    "README.md": `# closeloop for Freshdesk\n\nWritten by \`closeloop sidebar freshdesk\` for ${publicUrl}. Run \`fdk validate\`, then \`fdk pack\`, and upload the zip as a custom app; paste FRESHDESK_SIDEBAR_SECRET into the installation page.\n`,
  };
}

function templateNames(): Record<string, string> {
  return Object.fromEntries(Object.entries(FRESHDESK_TEMPLATES).map(([op, template]) => [op, template.name]));
}

/** The operations whose template is a GET: their parameters travel in the template's query, and they send no body. */
function readOperations(): string[] {
  return Object.entries(FRESHDESK_TEMPLATES)
    .filter(([, template]) => template.method === "GET")
    .map(([op]) => op);
}

const FRESHDESK_PAGE = panelDocument({
  stylesheet: "styles/panel.css",
  head: '<script src="{{{appclient}}}"></script>\n',
  main: 'data-helpdesk="freshdesk"',
  body: '<p class="muted" role="status">Loading the linked GitHub issues…</p>',
  scripts: '<script src="scripts/panel.js"></script>\n<script src="scripts/app.js"></script>',
});

/**
 * Freshdesk: the ticket from the app client; every call goes through a request template, never fetch. The sidebar's
 * iframe keeps its height unless the app sets it (client.instance.resize, as Freshworks' request-method samples do).
 */
const FRESHDESK_ADAPTER = String.raw`(function () {
  var templates = __TEMPLATES__;
  var reads = __READS__;
  function parse(text) { try { return JSON.parse(text); } catch (e) { return {}; } }
  if (typeof app === "undefined") {
    CloseloopPanel.message("Freshdesk's app client did not load: reload the ticket.", true);
    return;
  }
  app.initialized().then(function (client) {
    Promise.all([client.data.get("ticket"), client.data.get("loggedInUser").catch(function () { return null; })]).then(function (data) {
      var ticket = String(data[0].ticket.id);
      var user = data[1] && data[1].loggedInUser;
      CloseloopPanel.start({
        conversation: ticket,
        rep: user && user.contact ? user.contact.name : "",
        openUrl: function (url) { window.open(url, "_blank", "noopener,noreferrer"); },
        resize: function (height) { client.instance.resize({ height: Math.min(height, 800) + "px" }); },
        call: function (op, params) {
          params.helpdesk = "freshdesk";
          var options = { context: { conversation: ticket, q: params.q || "" } };
          if (reads.indexOf(op) < 0) options.body = JSON.stringify(params);
          return client.request.invokeTemplate(templates[op], options).then(function (reply) { return parse(reply.response); }, function (failure) {
            throw new Error(parse(failure && failure.response).error || "closeloop answered " + (failure && failure.status));
          });
        },
      });
    }, function () { CloseloopPanel.message("Freshdesk did not say which ticket is open; reload the ticket.", true); });
  });
})();
`;

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><circle cx="32" cy="32" r="24" fill="none" stroke="#1f883d" stroke-width="8"/><path d="M32 4v16" stroke="#fff" stroke-width="10"/></svg>\n`;

/** A solid square PNG (closeloop green) of `size` pixels: logos Zendesk's upload requires. */
function squarePng(size: number): Buffer {
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3, Buffer.from([0x1f, 0x88, 0x3d]))]);
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(Array.from({ length: size }, () => row)))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
