import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { writeDotEnv } from "../../src/config/dotenv.js";
import { TEST_PRIVATE_KEY } from "../support/process.js";
import { tempFolder } from "../support/temp-folders.js";

describe("writeDotEnv (the setup flow's credentials in .env)", () => {
  it("keeps the person's lines, replaces the keys it sets, and the key reads back as it was", () => {
    const path = join(tempFolder("closeloop-env-"), ".env");
    writeFileSync(path, "# mine\nCLOSELOOP_PUBLIC_URL=https://abc.trycloudflare.com\nAPP_ID=1\n");
    writeDotEnv({ APP_ID: "900001", PRIVATE_KEY: TEST_PRIVATE_KEY, WEBHOOK_SECRET: "whsec" }, path);
    const text = readFileSync(path, "utf8");
    expect(text.split("\n").slice(0, 3)).toEqual([
      "# mine",
      "CLOSELOOP_PUBLIC_URL=https://abc.trycloudflare.com",
      "APP_ID=900001",
    ]);
    expect(parseEnv(text)).toEqual({
      CLOSELOOP_PUBLIC_URL: "https://abc.trycloudflare.com",
      APP_ID: "900001",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: "whsec",
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
