import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseEnv } from "../config/env.js";
import { freshdeskAppFiles, zendeskAppFiles, type PackageFiles } from "../sidebar/packages.js";
import { UsageError } from "./arguments.js";
import { CommandFailed } from "./command.js";
import type { Output } from "./output.js";

export const SIDEBAR_USAGE = "closeloop sidebar zendesk|freshdesk [--out DIR]";

/** The helpdesks whose sidebar is an app package closeloop writes, and what each package holds. */
const PACKAGES: Record<string, (publicUrl: string, env: Record<string, string | undefined>) => PackageFiles> = {
  zendesk: (publicUrl, env) => zendeskAppFiles(publicUrl, env.ZENDESK_EMAIL ?? "admin@example.com"),
  freshdesk: (publicUrl) => freshdeskAppFiles(publicUrl),
};

/**
 * `closeloop sidebar zendesk|freshdesk [--out DIR]` (README, Sidebars): writes the helpdesk's app package, pointed at
 * CLOSELOOP_PUBLIC_URL. Reads no database.
 */
export function sidebarCommand(
  args: string[],
  options: { out: string | undefined; json: boolean },
  out: Output,
  env: Record<string, string | undefined> = process.env,
): number {
  const [helpdesk] = args;
  const write = helpdesk === undefined ? undefined : PACKAGES[helpdesk];
  if (!write) throw new UsageError(`usage: ${SIDEBAR_USAGE}`);
  const publicUrl = parseEnv(env).CLOSELOOP_PUBLIC_URL;
  if (publicUrl === undefined) {
    throw new CommandFailed(
      `set CLOSELOOP_PUBLIC_URL to the https address ${helpdesk === "zendesk" ? "Zendesk" : "Freshdesk"} reaches closeloop at: the app calls it`,
    );
  }
  const folder = resolve(options.out ?? `closeloop-${helpdesk}-app`);
  const files = write(publicUrl, env);
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), contents);
  }
  if (options.json) out.json({ helpdesk, folder, publicUrl, files: Object.keys(files) });
  else {
    out.line(`wrote the ${helpdesk} app for ${publicUrl} to ${folder} (${Object.keys(files).length} files)`);
    out.line(
      helpdesk === "zendesk"
        ? "next: zip the folder's contents, upload it as a private app, then put its public key in ZENDESK_APP_PUBLIC_KEY"
        : "next: `fdk validate && fdk pack` in the folder, upload the zip as a custom app, and paste FRESHDESK_SIDEBAR_SECRET on install",
    );
  }
  return 0;
}
