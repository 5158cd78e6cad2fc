import { describe, expect, it } from "vitest";
import { recogniseUrl } from "../../src/domain/recognise-links.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import { conformanceCases } from "./conformance-cases.js";

describe.each([...conformanceCases])("urlMatchers on a %s conversation URL", (provider, scenario) => {
  const link = scenario.conversation(7);

  it("recognises it as that helpdesk's conversation", () => {
    expect(recogniseUrl(link.url, urlMatchers)).toEqual({ ...link, provider });
  });

  it("is claimed by that helpdesk's matcher alone", () => {
    const claiming = urlMatchers
      .filter((matcher) => matcher.match(new URL(link.url)) !== null)
      .map((matcher) => matcher.provider);
    expect(claiming).toEqual([provider]);
  });
});
