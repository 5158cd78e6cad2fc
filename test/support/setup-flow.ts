/** The form `/` shows: where it posts and the manifest it carries (as a browser reads them). */
export async function readSetupForm(baseUrl: string): Promise<{ action: string; manifest: string; page: string }> {
  const page = await (await fetch(`${baseUrl}/`)).text();
  const unescape = (text: string) =>
    text
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  const action = unescape(/<form action="([^"]+)"/.exec(page)![1]!);
  const manifest = unescape(/name="manifest" value="([^"]+)"/.exec(page)![1]!);
  return { action, manifest, page };
}
