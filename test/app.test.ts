import { describe, expect, it } from "vitest";
import { HANDLED_EVENTS } from "../src/app.js";
import { readAppDefinition } from "../src/http/setup-flow.js";

/**
 * app.yml is what an organisation grants when it installs closeloop (the setup flow registers the app from it): an
 * event handled but not subscribed never arrives, one subscribed but unhandled is a delivery stored for nothing, and
 * GitHub refuses to register an app that subscribes to an event without a permission that carries it.
 */

/** Sent to every GitHub App, and not subscribable (docs.github.com, "Webhook events and payloads"). */
const SENT_TO_EVERY_APP = ["installation", "installation_repositories"];

/** The repository permission GitHub requires before an app may subscribe to the event (the same page, per event). */
const PERMISSION_FOR_EVENT: Record<string, string[]> = {
  issues: ["issues"],
  issue_comment: ["issues", "pull_requests"],
  push: ["contents"],
};

describe("app.yml against the handlers", () => {
  const app = readAppDefinition();

  it("subscribes to every event closeloop handles that GitHub does not send every app, and to nothing else", () => {
    const needed = HANDLED_EVENTS.filter((event) => !SENT_TO_EVERY_APP.includes(event));
    expect([...app.default_events].sort()).toEqual([...needed].sort());
  });

  it.each(SENT_TO_EVERY_APP)("handles %s, which arrives without a subscription", (event) => {
    expect(HANDLED_EVENTS).toContain(event);
  });

  it("grants, for each subscribed event, a permission GitHub requires to send it", () => {
    for (const event of app.default_events) {
      const granted = (PERMISSION_FOR_EVENT[event] ?? []).filter((name) => app.default_permissions[name]);
      expect({ event, granted: granted.length > 0 }).toEqual({ event, granted: true });
    }
  });
});
