import type { UrlMatcher } from "../domain/link.js";
import { freshdeskUrls } from "./freshdesk/urls.js";
import { frontUrls } from "./front/urls.js";
import { helpscoutUrls } from "./helpscout/urls.js";
import { intercomUrls } from "./intercom/urls.js";
import { zendeskUrls } from "./zendesk/urls.js";

/** Every helpdesk whose conversation URLs are recognised; a test keeps this in step with PROVIDERS and the folders. */
export const urlMatchers: readonly UrlMatcher[] = [intercomUrls, frontUrls, zendeskUrls, helpscoutUrls, freshdeskUrls];
