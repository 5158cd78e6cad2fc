import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { listIssueLinks } from "../../src/store/links.js";
import { startHarness, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { nockConfig, receive, webhookExample } from "../support/github.js";

/**
 * R3 (README, Development; docs/ordering.md): the outcome does not depend on the order deliveries are processed in. fast-check writes random
 * histories of one issue as GitHub would send them (body edits, comments created, edited and deleted, closes,
 * reopens, re-closes), and each history is delivered once in GitHub's order and once shuffled with duplicates, to a
 * fresh issue each. The links, the closes and the (close, conversation) reopen jobs must come out the same. A failure
 * prints the history and the order that broke it.
 */

type Payload = Record<string, any>;

const CONVERSATIONS = ["11", "12", "13", "14", "15"];
const url = (id: string) => `https://acme.zendesk.com/agent/tickets/${id}`;
const text = (ids: readonly string[]) =>
  ids.length === 0 ? "No customer link here." : `Customers: ${ids.map(url).join(" and ")}`;

type Step =
  | { kind: "editBody"; links: string[] }
  | { kind: "comment"; links: string[] }
  | { kind: "editComment"; which: number; links: string[] }
  | { kind: "deleteComment"; which: number }
  | { kind: "close"; reason: "completed" | "not_planned" }
  | { kind: "reopen" };

const links = fc.subarray(CONVERSATIONS, { maxLength: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: links.map((l) => ({ kind: "editBody" as const, links: l })), weight: 1 },
  { arbitrary: links.map((l) => ({ kind: "comment" as const, links: l })), weight: 3 },
  {
    arbitrary: fc.tuple(fc.nat(), links).map(([which, l]) => ({ kind: "editComment" as const, which, links: l })),
    weight: 2,
  },
  { arbitrary: fc.nat().map((which) => ({ kind: "deleteComment" as const, which })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom("completed" as const, "not_planned" as const)
      .map((reason) => ({ kind: "close" as const, reason })),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: "reopen" as const }), weight: 1 },
);

/** One webhook delivery, named so a failing order reads as a story. */
interface Delivery {
  label: string;
  [fc.toStringMethod]: () => string;
  name: "issues" | "issue_comment";
  make(number: number): Payload;
}

/** Plays the steps on a simulated GitHub issue (a minute or more apart) and returns its deliveries in GitHub's order. */
function simulate(bodyLinks: string[], steps: readonly Step[], gaps: readonly number[]): Delivery[] {
  let clock = Date.parse("2026-11-20T10:00:00Z");
  const iso = () => new Date(clock).toISOString().replace(/\.\d{3}Z$/, "Z");
  const createdAt = iso();
  let body = text(bodyLinks);
  let closedAt: string | null = null;
  let stateReason: string | null = null;
  const comments: { id: number; body: string; createdAt: string; updatedAt: string; deleted: boolean }[] = [];
  const snapshot = () => ({ body, createdAt, updatedAt: iso(), closedAt, stateReason });
  const deliveries: Delivery[] = [issueDelivery("opened", snapshot(), undefined)];
  steps.forEach((s, index) => {
    clock += (1 + (gaps[index] ?? 0)) * 60_000;
    const live = comments.filter((c) => !c.deleted);
    switch (s.kind) {
      case "editBody": {
        const from = body;
        body = text(s.links);
        deliveries.push(issueDelivery("edited", snapshot(), from));
        break;
      }
      case "comment": {
        const comment = {
          id: 9000 + comments.length,
          body: text(s.links),
          createdAt: iso(),
          updatedAt: iso(),
          deleted: false,
        };
        comments.push(comment);
        deliveries.push(commentDelivery("created", { ...comment }, snapshot(), undefined));
        break;
      }
      case "editComment": {
        const comment = live[s.which % Math.max(live.length, 1)];
        if (!comment) return;
        const from = comment.body;
        Object.assign(comment, { body: text(s.links), updatedAt: iso() });
        deliveries.push(commentDelivery("edited", { ...comment }, snapshot(), from));
        break;
      }
      case "deleteComment": {
        const comment = live[s.which % Math.max(live.length, 1)];
        if (!comment) return;
        comment.deleted = true;
        deliveries.push(commentDelivery("deleted", { ...comment }, snapshot(), undefined));
        break;
      }
      case "close":
        if (closedAt !== null) return;
        closedAt = iso();
        stateReason = s.reason;
        deliveries.push(issueDelivery("closed", snapshot(), undefined));
        break;
      case "reopen":
        if (closedAt === null) return;
        closedAt = null;
        stateReason = "reopened";
        deliveries.push(issueDelivery("reopened", snapshot(), undefined));
        break;
    }
  });
  return deliveries;
}

interface IssueSnapshot {
  body: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  stateReason: string | null;
}

function issuePayload(payload: Payload, number: number, issue: IssueSnapshot): Payload {
  payload.installation = { id: 77, node_id: "x" };
  Object.assign(payload.issue, {
    number,
    id: 5_000_000 + number,
    html_url: `https://github.com/Codertocat/Hello-World/issues/${number}`,
    body: issue.body,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    state: issue.closedAt === null ? "open" : "closed",
    state_reason: issue.stateReason,
    closed_at: issue.closedAt,
  });
  return payload;
}

function issueDelivery(
  action: "opened" | "edited" | "closed" | "reopened",
  issue: IssueSnapshot,
  from: string | undefined,
): Delivery {
  return {
    [fc.toStringMethod]: () => `issues.${action}@${issue.updatedAt.slice(11, 16)}`,
    label: `issues.${action}@${issue.updatedAt.slice(11, 16)}${action === "edited" ? ` [${issue.body}]` : ""}`,
    name: "issues",
    make(number) {
      // The examples have no `closed` payload: the `reopened` one is turned around.
      const payload = webhookExample<Payload>("issues", action === "closed" ? "reopened" : action);
      payload.action = action;
      if (action === "edited") payload.changes = { body: { from } };
      return issuePayload(payload, number, issue);
    },
  };
}

function commentDelivery(
  action: "created" | "edited" | "deleted",
  comment: { id: number; body: string; createdAt: string; updatedAt: string },
  issue: IssueSnapshot,
  from: string | undefined,
): Delivery {
  return {
    [fc.toStringMethod]: () => `comment ${comment.id} ${action}@${issue.updatedAt.slice(11, 16)}`,
    label: `comment ${comment.id} ${action}@${issue.updatedAt.slice(11, 16)} [${comment.body}]`,
    name: "issue_comment",
    make(number) {
      const payload = webhookExample<Payload>("issue_comment", action);
      issuePayload(payload, number, issue);
      Object.assign(payload.comment, {
        id: comment.id,
        body: comment.body,
        created_at: comment.createdAt,
        updated_at: comment.updatedAt,
        performed_via_github_app: null,
      });
      if (action === "edited") payload.changes = { body: { from } };
      return payload;
    },
  };
}

describe.each(ENGINES)("delivery order does not change the outcome (R3) on %s", (engine) => {
  let harness: Harness;
  let nextIssue = 100;

  beforeAll(async () => {
    harness = await startHarness(engine);
  });
  afterAll(async () => {
    await harness.close();
  });

  /** What a user can see of the issue: its links with their dates and sources, its closes, and what each reopens. */
  async function outcome(number: number) {
    const prisma = harness.database.prisma;
    const stored = (await listIssueLinks(prisma, "Codertocat/Hello-World", number)) ?? [];
    const issue = await prisma.issue.findFirst({
      where: { number },
      select: {
        state: true,
        closes: {
          orderBy: { closedAt: "asc" },
          select: { closedAt: true, reason: true, reopen: true, jobs: { select: { conversationId: true } } },
        },
      },
    });
    return {
      state: issue?.state,
      links: stored
        .map(
          (link) =>
            `${link.conversationId} linked ${link.linkedAt.toISOString()} by ${link.sources.map((s) => `${s.kind}:${s.key}@${s.postedAt.toISOString()}`).join(",") || "history"}`,
        )
        .sort(),
      closes: (issue?.closes ?? []).map(
        (close) =>
          `${close.closedAt.toISOString()} ${close.reason} reopens [${close.jobs
            .map((job) => job.conversationId)
            .sort()
            .join(" ")}]`,
      ),
    };
  }

  async function deliver(deliveries: readonly Delivery[], number: number): Promise<void> {
    for (const delivery of deliveries) await receive(harness.probot, delivery.name, delivery.make(number));
  }

  it("random histories, delivered shuffled with duplicates, end as in GitHub's order", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const history = fc
      .tuple(links, fc.array(step, { minLength: 1, maxLength: 14 }), fc.array(fc.nat({ max: 3 }), { maxLength: 14 }))
      .map(([body, steps, gaps]) => simulate(body, steps, gaps))
      .chain((deliveries) =>
        fc
          .tuple(fc.constant(deliveries), fc.subarray(deliveries, { maxLength: Math.min(4, deliveries.length) }))
          .chain(([inOrder, again]) =>
            fc.tuple(
              fc.constant(inOrder),
              fc.shuffledSubarray([...inOrder, ...again], { minLength: inOrder.length + again.length }),
            ),
          ),
      );
    await fc.assert(
      fc.asyncProperty(history, async ([inOrder, shuffled]) => {
        const a = nextIssue++;
        const b = nextIssue++;
        await deliver(inOrder, a);
        await deliver(shuffled, b);
        const [expected, actual] = [await outcome(a), await outcome(b)];
        if (JSON.stringify(expected) !== JSON.stringify(actual)) {
          throw new Error(
            `outcome differs.\nGitHub's order:\n  ${inOrder.map((d) => d.label).join("\n  ")}\nprocessed as:\n  ${shuffled.map((d) => d.label).join("\n  ")}\n` +
              `in order: ${JSON.stringify(expected, null, 1)}\nshuffled: ${JSON.stringify(actual, null, 1)}`,
          );
        }
      }),
      { numRuns: Number(process.env.R3_RUNS ?? 40) },
    );
    // The histories are not trivial: some closes reopened conversations.
    const jobs = await harness.database.prisma.reopenJob.count();
    expect(jobs).toBeGreaterThan(0);
  }, 240_000);
});
