import type { Child } from "hono/jsx";

/** Who is looking, for the header: their login, whether they see the operations page, and the sign-out form's token. */
export interface HeaderViewer {
  login: string;
  admin: boolean;
  csrf: string;
}

export type Section = "impact" | "closed" | "ops" | null;

/** Every page's frame: GitHub-like header with the sections, who is signed in, and sign-out (a POST with its CSRF token). */
export function Layout(props: { title: string; viewer: HeaderViewer | null; section: Section; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · closeloop`}</title>
        <link rel="stylesheet" href="/closeloop/style.css" />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/closeloop/">
            closeloop
          </a>
          {props.viewer && (
            <nav aria-label="Dashboard">
              <a href="/closeloop/" aria-current={props.section === "impact" ? "page" : undefined}>
                Impact
              </a>
              <a href="/closeloop/closed" aria-current={props.section === "closed" ? "page" : undefined}>
                Closed
              </a>
              {props.viewer.admin && (
                <a href="/closeloop/ops" aria-current={props.section === "ops" ? "page" : undefined}>
                  Operations
                </a>
              )}
            </nav>
          )}
          {props.viewer && (
            <form class="signout" method="post" action="/closeloop/auth/logout">
              <span>{props.viewer.login}</span>
              <input type="hidden" name="_csrf" value={props.viewer.csrf} />
              <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

/** A page that only says something: not found, a refused sign-in, a bad query. */
export function MessagePage(props: { title: string; viewer: HeaderViewer | null; children?: Child }) {
  return (
    <Layout title={props.title} viewer={props.viewer} section={null}>
      <h1>{props.title}</h1>
      {props.children}
    </Layout>
  );
}

/** Dates as GitHub's UI shows absolute times: UTC, to the minute, with the exact time in a <time>. */
export function When(props: { at: Date | null }) {
  if (props.at === null) return <span class="muted">—</span>;
  const iso = props.at.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}</time>;
}

/** A label as GitHub draws it: its colour behind, black or white text by the colour's lightness. */
export function Label(props: { name: string; color: string }) {
  const rgb = [0, 2, 4].map((i) => parseInt(props.color.slice(i, i + 2), 16) || 0);
  const light = (rgb[0]! * 299 + rgb[1]! * 587 + rgb[2]! * 114) / 1000 > 150;
  return (
    <span class="label" style={`background-color:#${props.color};color:${light ? "#1f2328" : "#ffffff"}`}>
      {props.name}
    </span>
  );
}

/** GitHub's system font stack and colours, visible focus, real tables; no script. */
export const STYLESHEET = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --canvas: #f6f8fa; --accent: #0969da; --danger: #d1242f; --success: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji"; font-size: 14px; line-height: 1.5; color: var(--fg); background: #fff; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
header.top { display: flex; align-items: center; gap: 24px; padding: 12px 24px; background: var(--canvas); border-bottom: 1px solid var(--border); }
header.top .brand { font-weight: 600; font-size: 16px; color: var(--fg); }
header.top nav { display: flex; gap: 16px; }
header.top nav a { color: var(--fg); padding: 4px 8px; border-radius: 6px; }
header.top nav a[aria-current="page"] { background: #fff; border: 1px solid var(--border); font-weight: 600; }
header.top .signout { margin-left: auto; display: flex; gap: 8px; align-items: center; }
main { padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 24px; font-weight: 600; margin: 8px 0 16px; }
h2 { font-size: 18px; font-weight: 600; margin: 24px 0 8px; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; border: 1px solid var(--border); border-radius: 6px; }
caption { text-align: left; color: var(--muted); padding: 4px 0; caption-side: top; }
th, td { text-align: left; padding: 8px; border-top: 1px solid var(--border); vertical-align: top; }
thead th { background: var(--canvas); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.label { display: inline-block; padding: 0 7px; margin: 0 4px 2px 0; font-size: 12px; font-weight: 500; line-height: 18px; border-radius: 2em; white-space: nowrap; }
form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; margin-bottom: 16px; padding: 12px; background: var(--canvas); border: 1px solid var(--border); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; font-weight: 600; font-size: 12px; gap: 4px; }
input::placeholder { color: #818b98; }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--border); border-radius: 6px; background: #fff; color: var(--fg); }
button { background: var(--canvas); font-weight: 500; cursor: pointer; }
button.primary { background: #1f883d; color: #fff; border-color: #1f883d; }
.state-done { color: var(--success); }
.state-dead { color: var(--danger); }
.state-pending, .state-running { color: #9a6700; }
.chart rect { fill: #2da44e; }
.chart rect.zero { fill: var(--border); }
nav.pages { display: flex; gap: 12px; margin-top: 12px; }
.error { color: var(--danger); }
`;
