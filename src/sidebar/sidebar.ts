import type { Context, Hono } from "hono";
import type { ProviderId } from "../domain/link.js";
import type { EnabledProvider } from "../providers/registry.js";
import type { SidebarService } from "./service.js";
import type { SidebarClaims, SidebarTokens } from "./tokens.js";

/** A sidebar's variable is set but what it needs with it is not: start-up stops with this one line. */
export class SidebarConfigError extends Error {
  override name = "SidebarConfigError";
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

/** What a sidebar's own routes get from the sidebar app. */
export interface SidebarRouteContext<Settings> {
  settings: Settings;
  service: SidebarService;
  tokens: SidebarTokens;
  now: () => Date;
  /** a page of the panel (src/sidebar/page.ts) for the vendor's iframe, with its CSP */
  page: (c: Context, page: SidebarPage) => Response;
}

/** What the page shell needs to boot the panel in a vendor's iframe. */
export interface SidebarPage {
  /** the sidebar token the proof earned; null: the page shows `error` instead */
  token: string | null;
  /** the conversation, when the proof named it (else the vendor's SDK names it in the browser) */
  conversation?: string;
  /** what went wrong, shown instead of a blank panel */
  error?: string;
  status?: 200 | 401 | 403;
}

/**
 * One helpdesk's sidebar: everything that differs per helpdesk, declared once (src/sidebar/registry.ts). The JSON API,
 * the panel, `closeloop status`, the operations page and the tests read these; test/sidebar/registry.test.ts fails when
 * one lacks a fact.
 */
export interface SidebarDefinition<Settings = unknown> {
  helpdesk: ProviderId;
  /** the vendor's mechanism, for status and docs */
  mechanism: string;
  /** the variable whose presence turns the sidebar on */
  secretVariable: string;
  /** what the helpdesk's proof is, for status and docs */
  proof: string;
  /** the path under /closeloop/sidebar/ an admin pastes into the helpdesk ("" when it lives in a generated app) */
  path: string;
  /** reads the settings; null when `secretVariable` is unset. Throws SidebarConfigError when half set */
  configure(
    env: Record<string, string | undefined>,
    providers: ReadonlyMap<ProviderId, EnabledProvider>,
  ): Settings | null;
  /** origins allowed to frame the page (CSP frame-ancestors); empty when closeloop serves no page */
  frameAncestors(settings: Settings): string[];
  /** the vendor's script on its CDN, when the page needs one (tests replace it with a stub) */
  vendorScript: string | null;
  /** the vendor's proof names the conversation; false: it is read through the helpdesk's API before a link is written */
  proofCoversConversation: boolean;
  /** the conversation's canonical URL, as a pasted URL of it would be stored */
  conversationUrl(account: string, conversationId: string): string;
  /** a bearer the JSON API takes instead of a sidebar token (Freshdesk's request proxy), with what it vouches for */
  apiBearer?(settings: Settings, bearer: string): SidebarClaims | null;
  /** registers the vendor-facing routes (relative to /closeloop/sidebar) */
  mount(app: Hono, context: SidebarRouteContext<Settings>): void;
}
