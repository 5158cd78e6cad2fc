import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { z } from "zod";
import { readWorkspaceId } from "../providers/intercom/workspace.js";
import type { IssueHit } from "../store/sidebar-links.js";
import { SidebarError, type PanelJson } from "./service.js";
import type { SidebarDefinition } from "./sidebar.js";
import { sameSecret } from "./tokens.js";

interface IntercomSidebarSettings {
  clientSecret: string;
  /** INTERCOM_WORKSPACE_ID: requests from other workspaces are another account's */
  workspaceId: string | null;
}

/*
 * Canvas Kit's limits (https://developers.intercom.com/docs/canvas-kit; the component types of Intercom's own
 * intercom-client package, api/types/DropdownComponent.d.ts): a canvas is a short list of components in a narrow
 * column, at most 64 KB, and a dropdown takes 2 to 10 options. closeloop stays inside: at most ten issues and ten search
 * hits, titles cut to 80 characters; one repository is a text input already filled in, and more repositories than a
 * dropdown takes become an empty text input.
 */
export const CANVAS_LIST_LIMIT = 10;
const DROPDOWN_MIN = 2;
const DROPDOWN_LIMIT = 10;
const TEXT_LIMIT = 80;

/** The fields of Canvas Kit's initialize and submit requests that closeloop reads. */
const canvasRequest = z.looseObject({
  workspace_id: z.string(),
  admin: z.looseObject({ id: z.union([z.string(), z.number()]).optional(), name: z.string().nullish() }).nullish(),
  conversation: z.looseObject({ id: z.union([z.string(), z.number()]) }).nullish(),
  component_id: z.string().nullish(),
  input_values: z.record(z.string(), z.unknown()).nullish(),
});

type Component = Record<string, unknown>;

const text = (value: string, style: "header" | "paragraph" | "muted" | "error" = "paragraph"): Component => ({
  type: "text",
  text: value,
  style,
});
const cut = (value: string) => (value.length > TEXT_LIMIT ? `${value.slice(0, TEXT_LIMIT - 1)}…` : value);
const button = (id: string, label: string, style: "primary" | "secondary" | "link" = "secondary"): Component => ({
  type: "button",
  id,
  label,
  style,
  action: { type: "submit" },
});

/** The panel as a canvas: linked issues, then the link form, search hits, and the create form when allowed. */
export function panelCanvas(panel: PanelJson, extra: { notice?: string; error?: string; hits?: IssueHit[] } = {}) {
  const components: Component[] = [text("Linked GitHub issues", "header")];
  if (extra.error) components.push(text(extra.error, "error"));
  if (extra.notice) components.push(text(extra.notice, "muted"));
  if (panel.links.length === 0)
    components.push(text("No GitHub issue is linked to this conversation yet. Link one below.", "muted"));
  for (const link of panel.links.slice(0, CANVAS_LIST_LIMIT)) {
    const ref = `${link.owner}/${link.name}#${link.number}`;
    const state =
      link.state === "open" ? "open" : `closed${link.stateReason ? ` (${link.stateReason.replace("_", " ")})` : ""}`;
    const labels = link.labels.map((label) => label.name).join(", ");
    components.push({
      type: "button",
      id: `open:${ref}`,
      label: cut(`${ref} ${link.title ?? ""}`),
      style: "link",
      action: { type: "url", url: link.url },
    });
    components.push(
      text(
        cut(
          [
            state,
            labels,
            link.reports30 === null ? null : `${link.reports30} reports in 30 days`,
            `from ${link.sources.join(", ")}`,
          ]
            .filter(Boolean)
            .join(" · "),
        ),
        "muted",
      ),
    );
    components.push(text(link.reopen.text, "muted"));
    if (link.removable) components.push(button(`unlink:${ref}`, `Unlink ${ref}`));
  }
  if (panel.links.length > CANVAS_LIST_LIMIT)
    components.push(text(`and ${panel.links.length - CANVAS_LIST_LIMIT} more: see the dashboard`, "muted"));
  components.push({ type: "divider" });
  components.push({
    type: "input",
    id: "issue",
    label: "Link an issue",
    placeholder: "Issue URL, owner/repo#123, or words",
  });
  components.push(button("link", "Link", "primary"), button("search", "Search titles"));
  for (const hit of (extra.hits ?? []).slice(0, CANVAS_LIST_LIMIT))
    components.push(
      button(
        `pick:${hit.owner}/${hit.name}#${hit.number}`,
        cut(`${hit.owner}/${hit.name}#${hit.number} ${hit.title}`),
        "link",
      ),
    );
  if (panel.repositories) {
    components.push({ type: "divider" }, text("Create an issue", "header"));
    components.push({ type: "input", id: "title", label: "Title" });
    components.push({ type: "textarea", id: "body", label: "Description" });
    components.push(repositoryField(panel.repositories));
    components.push(button("create", "Create and link", "primary"));
  }
  return { canvas: { content: { components } } };
}

/** Where the create form asks for the repository: a dropdown only where Canvas Kit takes one (2 to 10 options). */
function repositoryField(repositories: string[]): Component {
  if (repositories.length >= DROPDOWN_MIN && repositories.length <= DROPDOWN_LIMIT)
    return {
      type: "dropdown",
      id: "repository",
      label: "Repository",
      options: repositories.map((name) => ({ type: "option", id: name, text: name })),
    };
  const input: Component = { type: "input", id: "repository", label: "Repository", placeholder: "owner/repo" };
  return repositories.length === 1 ? { ...input, value: repositories[0] } : input;
}

/**
 * Intercom: a Canvas Kit inbox app in the conversation details (https://developers.intercom.com/docs/canvas-kit).
 * Intercom POSTs initialize and submit requests signed with `X-Body-Signature`, the hex HMAC-SHA256 of the raw body with
 * the app's client secret; the body names the workspace, the admin and the conversation, so the signature covers all
 * three and closeloop answers with canvas JSON (no page, no token).
 */
export const intercomSidebar: SidebarDefinition<IntercomSidebarSettings> = {
  helpdesk: "intercom",
  mechanism: "Canvas Kit inbox app (initialize and submit URLs, canvas JSON)",
  secretVariable: "INTERCOM_CLIENT_SECRET",
  proof:
    "X-Body-Signature: hex HMAC-SHA256 of the raw body with the app's client secret; workspace_id = INTERCOM_WORKSPACE_ID when set",
  path: "intercom/initialize",
  configure(env) {
    const clientSecret = env.INTERCOM_CLIENT_SECRET?.trim();
    if (!clientSecret) return null;
    // Read as the Intercom API and webhooks read it: a malformed one stops start-up, and any case matches.
    return { clientSecret, workspaceId: readWorkspaceId(env) ?? null };
  },
  frameAncestors: () => [],
  vendorScript: null,
  proofCoversConversation: true,
  conversationUrl: (account, conversationId) =>
    `https://app.intercom.com/a/inbox/${account}/inbox/conversation/${conversationId}`,
  mount(app, { settings, service, now }) {
    const sidebar = intercomSidebar;
    const handle = async (c: Context, submit: boolean) => {
      const raw = await c.req.text();
      const signature = c.req.header("x-body-signature") ?? "";
      const expected = createHmac("sha256", settings.clientSecret).update(raw).digest("hex");
      if (!sameSecret(signature.toLowerCase(), expected))
        return c.json(
          { error: "X-Body-Signature does not match: INTERCOM_CLIENT_SECRET must be the app's client secret" },
          401,
        );
      let request: z.infer<typeof canvasRequest>;
      try {
        request = canvasRequest.parse(JSON.parse(raw));
      } catch {
        return c.json({ error: "not a Canvas Kit request" }, 400);
      }
      if (settings.workspaceId !== null && request.workspace_id.toLowerCase() !== settings.workspaceId)
        return c.json(
          { error: `workspace ${request.workspace_id} is another account than INTERCOM_WORKSPACE_ID` },
          403,
        );
      if (!request.conversation)
        return c.json({
          canvas: { content: { components: [text("Open a conversation to see its linked GitHub issues.", "muted")] } },
        });
      const claims = {
        helpdesk: "intercom" as const,
        account: request.workspace_id,
        conversation: String(request.conversation.id),
        rep: request.admin?.name || `Intercom admin ${request.admin?.id ?? ""}`.trim(),
        expiresAt: Math.floor(now().getTime() / 1000) + 60,
      };
      const link = service.conversation(sidebar, claims, claims.conversation);
      const inputs = request.input_values ?? {};
      const input = (name: string) => (typeof inputs[name] === "string" ? (inputs[name] as string) : "");
      const extra: Parameters<typeof panelCanvas>[1] = {};
      const action = submit ? (request.component_id ?? "") : "";
      try {
        if (action === "link" || action.startsWith("pick:")) {
          const named = action === "link" ? input("issue") : action.slice("pick:".length);
          // Words that are not an issue reference are a search, so one field serves both.
          if (action === "link" && !/\/|#/.test(named) && named.trim() !== "") extra.hits = await service.search(named);
          else extra.notice = `Linked ${(await service.link(sidebar, claims, link, named)).linked}`;
        } else if (action === "search") {
          extra.hits = await service.search(input("issue"));
          if (extra.hits.length === 0) extra.notice = "No stored issue title has those words";
        } else if (action.startsWith("unlink:")) {
          extra.notice = `Unlinked ${(await service.unlink(sidebar, claims, link, action.slice("unlink:".length))).unlinked}`;
        } else if (action === "create") {
          const created = await service.create(sidebar, claims, link, {
            repository: input("repository"),
            title: input("title"),
            body: input("body"),
          });
          extra.notice = `Created and linked ${created.created}`;
        }
      } catch (error) {
        if (!(error instanceof SidebarError)) throw error;
        extra.error = error.message;
      }
      return c.json(panelCanvas(await service.panel(sidebar, link), extra));
    };
    app.post("/intercom/initialize", (c) => handle(c, false));
    app.post("/intercom/submit", (c) => handle(c, true));
  },
};
