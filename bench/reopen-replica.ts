import pino from "pino";
import { SharedPaces, LocalPaces } from "../src/jobs/pace-keeper.js";
import { HelpdeskWorker } from "../src/jobs/helpdesk-worker.js";
import { providers } from "../src/providers/registry.js";
import { openDatabase } from "../src/store/database.js";

// One P3r replica (bench/reopen.ts): a helpdesk worker for Intercom on the given PostgreSQL, with the pace shared through
// the database (row or advisory lock) or kept alone; says "ready" once polling, and exits when no job is left.
const [databaseUrl, keeper, env] = process.argv.slice(2) as [
  string,
  "row" | "advisory" | "optimistic" | "local",
  string,
];
const database = await openDatabase(databaseUrl);
const definition = providers.get("intercom")!;
const settings = definition.configure(JSON.parse(env) as Record<string, string>);
const lane = {
  provider: "intercom" as const,
  name: definition.name,
  client: definition.createClient(settings),
  budget: definition.rateBudget(settings),
};
const paces = keeper === "local" ? new LocalPaces() : new SharedPaces(database.prisma, keeper);
const worker = new HelpdeskWorker(
  database.prisma,
  database.engine,
  [lane],
  () => Promise.reject(new Error("no GitHub in P3r")),
  pino({ level: "silent" }),
  { paces, idlePollMs: 100 },
);
worker.start();
process.stdout.write("ready\n");
let seen = false;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const left = await database.prisma.reopenJob.count({ where: { state: { in: ["pending", "running"] } } });
  const any = await database.prisma.reopenJob.count();
  if (any > 0) seen = true;
  if (seen && left === 0) break;
}
await worker.stop();
await database.close();
