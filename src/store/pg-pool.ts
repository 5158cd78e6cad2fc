import pg from "pg";

/** Where a pool says it lost a connection: the process's logger. */
export interface PoolLog {
  warn(message: string): void;
}

/**
 * A pg pool of closeloop's own (the inbox writer's, the label sweep's) that survives losing a connection. PostgreSQL
 * or the network may end an idle connection at any time (a restart or failover, `pg_terminate_backend`, an
 * `idle_session_timeout`, a NAT forgetting the flow); the pool then emits "error", which Node turns into the end of the
 * process when nobody listens: every webhook request in flight reset, and GitHub does not send those again. The pool
 * has already dropped the connection, and the next query opens another; this says so in the log.
 */
export function connectionPool(config: pg.PoolConfig, what: string, log: PoolLog): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on("error", (error) =>
    log.warn(`${what}: an idle PostgreSQL connection was lost (${error.message}); the next query opens another`),
  );
  return pool;
}
