/**
 * The databases every store/engine/API suite runs on: a temp SQLite file, and a fresh
 * PostgreSQL database per test file. Without PostgreSQL the postgres half is skipped locally
 * and fails under CI=true.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.ts';
// Every file that opens a database is checked for leaked handles when it ends.
import './leak-check-after-file.ts';

export const TEST_PG_URL = process.env.AGENTD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  dialect: 'sqlite' | 'postgres';
  /** The tenant-scope guard is on unless `extra` says `checkTenantScope: false`; `extra` also carries tests-only hooks such as writerPlugins. */
  open(now: () => number, extra?: Partial<StoreOptions>): Promise<Store>;
  /** Connection string (postgres) or data directory (sqlite), for starting server processes. */
  location: string;
  cleanup(): Promise<void>;
}

let pgReachable: Promise<string | null> | null = null;

/** null when reachable, else why not. */
export function postgresUnavailable(): Promise<string | null> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgReachable;
}

export async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'agentd-test-'));
  return {
    dialect: 'sqlite',
    location: dir,
    open: (now, extra = {}) => openStore({ dataDir: dir, now, checkTenantScope: true, ...sqliteWriterFromEnv(), ...extra }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `agentd_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'agentd-test-'));
  return {
    dialect: 'postgres',
    location: url.toString(),
    open: (now, extra = {}) => openStore({ databaseUrl: url.toString(), dataDir: dir, now, poolSize: 8, checkTenantScope: true, ...extra }),
    cleanup: async () => {
      rmSync(dir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface DialectCase {
  name: 'sqlite' | 'postgres';
  /** A reason to skip this dialect here, or false. */
  skip: string | false;
  create(): Promise<TestDatabase>;
}

/** Both dialects, resolved once: use as `for (const d of await dialects()) describe(d.name, { skip: d.skip }, …)`. */
export async function dialects(): Promise<DialectCase[]> {
  const why = await postgresUnavailable();
  if (why && process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true but unreachable at ${TEST_PG_URL}: ${why}`);
  return [
    { name: 'sqlite', skip: false, create: createSqliteDatabase },
    { name: 'postgres', skip: why ? `PostgreSQL unreachable (${why})` : false, create: createPostgresDatabase },
  ];
}

/** `AGENTD_SQLITE_WRITER=thread` runs the suite's SQLite stores with the writer thread (as `agentd serve` reads it). */
function sqliteWriterFromEnv(): { sqliteWriter?: 'inline' | 'thread' } {
  const w = process.env.AGENTD_SQLITE_WRITER;
  return w === 'thread' || w === 'inline' ? { sqliteWriter: w } : {};
}
