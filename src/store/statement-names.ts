/**
 * Names for the PostgreSQL statements a process sends again and again (`statementNameGenerator` of
 * @prisma/adapter-pg). A named statement is parsed once per connection and then only bound and executed; an unnamed
 * one is parsed and planned at every execution. On a
 * delivery's statements that was a third of PostgreSQL's CPU (P8, #25: the source's and the link's WITH statements
 * took 0.3-0.4 ms each to plan, every time), and the app sent their several KB of text each time.
 *
 * Only statements that write are named. PostgreSQL may keep one generic plan for a named statement after its fifth run,
 * planned without the parameters' values: for a write, whose rows are found by key, that is the plan it had; for a read
 * of the dashboard, whose filters and windows decide which index pays, it was not (P6's filtered view at 100k issues:
 * p95 85 ms planned for its parameters, 347 ms named). Reads stay unnamed, planned for their parameters every time.
 *
 * A text is named from its second sighting, so one-off statements (a long IN list, a migration) take no name, and at
 * most `max` texts are named per client: each connection keeps each name it prepared, with its plan, until it closes,
 * as Prisma's own engine did with its statement cache of 100 per connection. Statements without parameters (BEGIN,
 * COMMIT) stay unnamed: they go as one simple query, where a named one takes the extended protocol's four messages.
 */
export function statementNames({ max = 100, counted = 1_000 }: { max?: number; counted?: number } = {}): (query: {
  sql: string;
  args: readonly unknown[];
}) => string {
  const names = new Map<string, string>();
  const seen = new Set<string>();
  // The adapter passes `undefined` on as no name, though its type asks for a string.
  const unnamed = undefined as unknown as string;
  return ({ sql, args }) => {
    // A named text first: the writes sent again and again are answered without reading their text for a keyword.
    const name = names.get(sql);
    if (name !== undefined) return name;
    if (args.length === 0 || !WRITES.test(sql) || names.size >= max) return unnamed;
    if (!seen.has(sql)) {
      // Counting stops at `counted` texts and starts over: a process that sends many one-off texts keeps a bounded set.
      if (seen.size >= counted) seen.clear();
      seen.add(sql);
      return unnamed;
    }
    seen.delete(sql);
    const named = `closeloop_${names.size + 1}`;
    names.set(sql, named);
    return named;
  };
}

/** A statement that inserts, updates or deletes rows, itself or in one of its WITH queries (`FOR UPDATE` reads too). */
const WRITES = /\b(INSERT|UPDATE|DELETE)\b/i;
