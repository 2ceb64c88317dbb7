import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { prepareSmallStatements, StatementNames } from './prepared-statements.ts';
import { pgStatementProfiling, StatementProfile } from '../statement-profile.ts';

/** int8 (oid 20) as a JS number: our bigints are epoch milliseconds and counters, all < 2^53. */
const INT8_OID = 20;

/**
 * How long a request waits for a new connection before it fails with 503 (the server is down or
 * unreachable) rather than waiting forever: pg's default is no limit.
 */
const CONNECT_TIMEOUT_MS = 5000;

export function createPgPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // A peer that vanished without a FIN (host down, partition) is found by the kernel's probes,
    // from 10 s of silence on (the OS default is two hours).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // Names are the pool's own: two stores in one process prepare and invalidate independently.
  const names = new StatementNames();
  const profile = pgStatementProfiling ? new StatementProfile('postgresql, every connection of a pool') : null;
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    // pg-pool listens for errors only while a client is idle. A checked-out client whose server
    // goes away between two queries (a transaction waiting on the next statement, the leader's
    // lock connection) emits 'error' with no listener, which would kill the process. Here it is
    // only noted: the query in flight, or the next one, fails with the error (503), and the pool
    // discards the client when it is released (it is no longer queryable).
    client.on('error', () => {});
    prepareSmallStatements(client, names);
    if (profile) profileStatements(client, profile);
  });
  return pool;
}

export function postgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}

/** Times each `query(text, values)` of `client` in `profile` (AGENTD_PG_STATEMENT_PROFILE=1). */
function profileStatements(client: pg.PoolClient, profile: StatementProfile): void {
  type QueryFn = (...args: unknown[]) => Promise<unknown>;
  const query = client.query.bind(client) as unknown as QueryFn;
  (client as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
    const [text] = args;
    const result = query(...args);
    const sqlText = typeof text === 'string' ? text : (text as { text?: string } | null)?.text;
    return typeof sqlText === 'string' && result instanceof Promise ? profile.timeAsync(sqlText, result) : result;
  };
}
