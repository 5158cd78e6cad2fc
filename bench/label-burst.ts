import { createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import BetterSqlite3 from "better-sqlite3";
import { FakeGitHub } from "../test/fakes/github-server.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import { startServer } from "./processes.js";

const SECRET = "bench-burst-secret";
/** Comments per issue: five reports make issue 1 daily, four and two make issues 2 and 3 weekly. */
const COMMENTS_PER_ISSUE = [5, 4, 2] as const;
const EXPECTED: Record<string, string[]> = {
  "bench-org/burst#1": ["reported: daily"],
  "bench-org/burst#2": ["reported: weekly"],
  "bench-org/burst#3": ["reported: weekly"],
};

export interface BurstFigures {
  /** which checkout's server ran */
  label: string;
  deliveries: number;
  /** seconds from the first delivery sent until every link was stored */
  linksSeconds: number;
  /** seconds from the first delivery sent until the last label change on GitHub */
  labelsSeconds: number;
  /** label writes made (create, add, remove) */
  labelWrites: number;
  /** the issues ended with the labels their reports call for */
  right: boolean;
}

/**
 * Labels off the delivery path (issue #11): eleven linking comments across three issues, delivered within a tenth of
 * a second to the real process (GitHub's write pacing on, as in production), timed until the last link is stored and
 * until the last label lands on the fake GitHub. `root` is the checkout whose dist/server.js runs, so an older checkout
 * can be measured beside this one.
 */
export async function benchLabelBurst(root: string, label: string): Promise<BurstFigures> {
  const github = new FakeGitHub();
  const host = await github.start();
  const file = join(mkdtempSync(join(tmpdir(), "closeloop-bench-burst-")), "closeloop.db");
  const server = await startServer("dist/server.js", root, {
    APP_ID: "4242",
    PRIVATE_KEY,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: host,
    GHE_PROTOCOL: "http",
    DATABASE_URL: `file:${file}`,
  });
  const deliveries = burst();
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const started = performance.now();
    const responses = await Promise.all(
      deliveries.map((delivery) =>
        fetch(`${server.url}/api/github/webhooks`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issue_comment",
            "x-github-delivery": delivery.id,
            "x-hub-signature-256": delivery.signature,
          },
          body: delivery.body,
        }),
      ),
    );
    if (responses.some((response) => response.status !== 200))
      throw new Error(`burst: a delivery was refused: ${responses.map((response) => response.status).join(", ")}`);
    const links = db.prepare(`SELECT COUNT(*) AS "n" FROM "Link"`);
    let linksSeconds = Number.NaN;
    let labelsSeconds = Number.NaN;
    let state = "";
    for (;;) {
      const now = performance.now();
      if (Number.isNaN(linksSeconds) && (links.get() as { n: number }).n >= deliveries.length)
        linksSeconds = (now - started) / 1000;
      const labels = JSON.stringify([...github.issueLabels.entries()].sort());
      if (labels !== state) {
        state = labels;
        labelsSeconds = (now - started) / 1000;
      }
      // Settled: every link stored and no label change for five seconds (GitHub's pacing is a write a second).
      if (!Number.isNaN(linksSeconds) && now - started - labelsSeconds * 1000 > 5_000) break;
      if (now - started > 120_000) throw new Error("burst: not settled after two minutes");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const labelWrites = github.requests.filter(
      (request) => request.method !== "GET" && /\/labels/.test(request.path),
    ).length;
    const right = Object.entries(EXPECTED).every(
      ([issue, labels]) => JSON.stringify(github.issueLabels.get(issue) ?? []) === JSON.stringify(labels),
    );
    return { label, deliveries: deliveries.length, linksSeconds, labelsSeconds, labelWrites, right };
  } finally {
    db.close();
    await server.stop();
    await github.stop();
  }
}

function burst(): { body: string; signature: string; id: string }[] {
  const template = (examples as { name: string; examples: Record<string, any>[] }[])
    .find((e) => e.name === "issue_comment")!
    .examples.find((e) => e.action === "created")!;
  const now = new Date().toISOString();
  const deliveries = [];
  let comment = 0;
  for (const [index, count] of COMMENTS_PER_ISSUE.entries()) {
    for (let n = 0; n < count; n++) {
      comment++;
      const payload = structuredClone(template);
      payload.installation = { id: 77, node_id: "bench" };
      Object.assign(payload.repository, { id: 6_000_000, name: "burst", full_name: "bench-org/burst" });
      payload.repository.owner.login = "bench-org";
      Object.assign(payload.issue, { number: index + 1, id: 7_000_000 + index, labels: [], updated_at: now });
      Object.assign(payload.comment, {
        id: 8_000_000 + comment,
        body: `Another customer: https://acme.zendesk.com/agent/tickets/${90_000 + comment}`,
        created_at: now,
        updated_at: now,
      });
      const body = JSON.stringify(payload);
      deliveries.push({
        body,
        signature: `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
        id: `burst-${comment}`,
      });
    }
  }
  return deliveries;
}

/** Prints the burst figures of this checkout, and of `baselineRoot` (another checkout, built) first when given. */
export async function runLabelBurst(root: string, baselineRoot: string | undefined): Promise<void> {
  const figures: BurstFigures[] = [];
  if (baselineRoot !== undefined) figures.push(await benchLabelBurst(baselineRoot, `baseline (${baselineRoot})`));
  figures.push(await benchLabelBurst(root, "this checkout"));
  console.log(
    `\nLabels off the delivery path: ${figures[0]!.deliveries} linking comments on 3 issues delivered within 0.1 s, real process, SQLite, GitHub's write pacing on`,
  );
  console.log("server                          last link stored   last label applied   label writes   labels right");
  for (const run of figures) {
    console.log(
      `${run.label.padEnd(31)} ${`${run.linksSeconds.toFixed(2)} s`.padStart(16)} ${`${run.labelsSeconds.toFixed(2)} s`.padStart(20)} ${String(run.labelWrites).padStart(14)} ${(run.right ? "yes" : "NO").padStart(14)}`,
    );
  }
  if (figures.length === 2) {
    const [before, after] = figures as [BurstFigures, BurstFigures];
    console.log(
      `ratio (this / baseline): last link ${(after.linksSeconds / before.linksSeconds).toFixed(2)}×, last label ${(after.labelsSeconds / before.labelsSeconds).toFixed(2)}×, label writes ${(after.labelWrites / before.labelWrites).toFixed(2)}×`,
    );
  }
}
