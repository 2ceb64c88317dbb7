import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { prepareSmallStatements } from './prepared-statements.ts';

/** int8 (oid 20) as a JS number: our bigints are epoch milliseconds and counters, all < 2^53. */
const INT8_OID = 20;

export function createPgPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  pool.on('connect', (client) => prepareSmallStatements(client));
  return pool;
}

export function postgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}
