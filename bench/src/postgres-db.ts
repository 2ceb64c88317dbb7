import pg from 'pg';

export const BENCH_DATABASE = 'agentd_bench';

export interface BenchDatabase {
  /** Connection string of the fresh database. */
  url: string;
  /** Drops the database (the server must be gone by then). */
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Why PostgreSQL at `adminUrl` cannot be used, or null when it answers. */
export async function postgresUnreachable(adminUrl: string): Promise<string | null> {
  try {
    await withAdmin(adminUrl, (c) => c.query('SELECT 1'));
    return null;
  } catch (err) {
    const e = err as Error & { code?: string };
    return e.message || e.code || String(err);
  }
}

/**
 * Creates an empty `agentd_bench` database next to the one `adminUrl` names (dropping a
 * leftover first). Throws when PostgreSQL cannot be reached; the caller reports a skip.
 */
export async function createBenchDatabase(adminUrl: string, name = BENCH_DATABASE): Promise<BenchDatabase> {
  const ident = pg.escapeIdentifier(name);
  await withAdmin(adminUrl, async (c) => {
    // WITH (FORCE) (PostgreSQL ≥ 13) ends sessions a crashed earlier bench left behind.
    await c.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${ident}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(adminUrl, async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`))),
  };
}
