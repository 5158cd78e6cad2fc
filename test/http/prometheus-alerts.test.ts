import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { metricsRoute } from "../../src/http/metrics-route.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { ROOT } from "../support/process.js";

/**
 * docs/prometheus-alerts.yml, checked against what /metrics exports: a rule naming a metric closeloop does not export
 * (or a label it does not carry) never fires, and nobody would notice.
 */

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string };
}

const rules = (
  parse(readFileSync(join(ROOT, "docs/prometheus-alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);

/** Each series an expression selects (closeloop's, or Prometheus' own `up`), with the label names its matcher uses. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/\b(closeloop_[a-z0-9_]+|up)\b\s*(\{[^}]*\})?/g)].map((match) => ({
    metric: match[1]!,
    labels: [...(match[2] ?? "").matchAll(/(\w+)\s*(?:=~|!=|!~|=)/g)].map((label) => label[1]!),
  }));
}

describe("docs/prometheus-alerts.yml", () => {
  let database: Database;
  let server: Server;
  let text: string;

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl("sqlite"), { migrate: true });
    const route = metricsRoute(database.prisma, pino({ level: "silent" }));
    server = createServer((request, response) => void route(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    text = await response.text();
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await database?.close();
  });

  it("covers dead jobs, the inbox backlog, the sweep, helpdesk 429s and webhook failures", () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        "CloseloopDeadJobs",
        "CloseloopInboxBacklog",
        "CloseloopSweepNotRun",
        "CloseloopHelpdeskRateLimited",
        "CloseloopWebhookFailures",
      ]),
    );
    for (const rule of rules) {
      expect(rule.expr, rule.alert).toBeTruthy();
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["warning", "critical"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
    }
  });

  it.each(rules.map((rule) => [rule.alert, rule] as const))(
    "%s selects only metrics and labels /metrics exports",
    (_, rule) => {
      const selected = selectors(rule.expr);
      expect(selected.length, rule.expr).toBeGreaterThan(0);
      for (const { metric, labels } of selected.filter((selector) => selector.metric !== "up")) {
        // A histogram's series are <name>_bucket, _count and _sum under one TYPE line.
        const family = metric.replace(/_(bucket|count|sum)$/, "");
        const help = new RegExp(`^# TYPE (${metric}|${family}) `, "m");
        expect(text, `${rule.alert}: ${metric} is not exported`).toMatch(help);
        for (const label of labels) {
          const declared = labelNamesOf(family);
          expect(declared, `${rule.alert}: ${metric} has no label ${label}`).toContain(label);
        }
      }
    },
  );
});

/** The label names of a family as prom-client declares them (read from the source's registrations). */
function labelNamesOf(family: string): string[] {
  const sources = ["src/metrics.ts", "src/http/metrics-route.ts"].map((file) => readFileSync(join(ROOT, file), "utf8"));
  for (const source of sources) {
    const at = source.indexOf(`name: "${family}"`);
    if (at < 0) continue;
    const declared = /labelNames: \[([^\]]*)\]/.exec(source.slice(at, at + 800));
    return declared ? [...declared[1]!.matchAll(/"(\w+)"/g)].map((match) => match[1]!) : [];
  }
  return [];
}
