import { providerName } from "../providers/registry.js";
import type { SidebarDefinition } from "./sidebar.js";

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * The page a vendor's iframe loads: an empty panel the panel script fills, the sidebar token in a data attribute (no
 * inline script: the CSP allows scripts from closeloop and the vendor's CDN only), and the error in place of the panel
 * when the proof was refused. Paths are relative, so closeloop behind a path prefix works unchanged.
 */
export function sidebarPageHtml(
  sidebar: SidebarDefinition,
  page: { token: string | null; conversation?: string; error?: string },
): string {
  const data = [
    `data-helpdesk="${sidebar.helpdesk}"`,
    `data-name="${escape(providerName(sidebar.helpdesk))}"`,
    page.token ? `data-token="${escape(page.token)}"` : "",
    page.conversation ? `data-conversation="${escape(page.conversation)}"` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const scripts = page.token
    ? [sidebar.vendorScript, "panel.js", `${sidebar.helpdesk}.js`]
        .filter((src): src is string => src !== null)
        .map((src) => `<script src="${escape(src)}"></script>`)
        .join("\n")
    : "";
  const body = page.error
    ? `<p role="alert" class="error">${escape(page.error)}</p>`
    : `<p class="muted" role="status">Loading the linked GitHub issues…</p>`;
  return panelDocument({ stylesheet: "panel.css", main: data, body, scripts });
}

/** The panel's HTML document: closeloop's pages and the Freshdesk app's page are the same shell. */
export function panelDocument(parts: {
  stylesheet: string;
  head?: string;
  main: string;
  body: string;
  scripts: string;
}) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>closeloop</title>
<link rel="stylesheet" href="${parts.stylesheet}">
${parts.head ?? ""}</head>
<body>
<main id="closeloop-panel" ${parts.main} aria-live="polite">${parts.body}</main>
${parts.scripts}
</body>
</html>
`;
}

/** The page's Content-Security-Policy: framed by the vendor only, scripts from closeloop and the vendor's CDN. */
export function sidebarPageCsp(sidebar: SidebarDefinition, frameAncestors: readonly string[]): string {
  const vendor = sidebar.vendorScript ? ` ${new URL(sidebar.vendorScript).origin}` : "";
  return [
    "default-src 'none'",
    `script-src 'self'${vendor}`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(" ") : "'none'"}`,
  ].join("; ");
}
