/**
 * Which real driver errors count as "the database is unavailable" (503 UNAVAILABLE + Retry-After)
 * and which are the statement's own fault (answered as before): produced by real connections, a
 * read-only SQLite connection, a refused PostgreSQL port and a terminated backend.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { isStoreUnavailable } from '../src/store/index.ts';
import { postgresUnavailable, TEST_PG_URL } from './helpers/dialects.ts';
import { freePort } from './helpers/private-postgres.ts';

const errorOf = async (fn: () => unknown): Promise<unknown> => {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
};

describe('unavailable or not: SQLite', () => {
  it('a read-only database is unavailable; a bad statement or a constraint is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentd-unavail-'));
    try {
      const file = join(dir, 'x.db');
      const rw = new DatabaseSync(file);
      rw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      rw.exec('INSERT INTO t VALUES (1)');
      const ro = new DatabaseSync(file, { readOnly: true });
      assert.equal(isStoreUnavailable(await errorOf(() => ro.exec('INSERT INTO t VALUES (2)'))), true, 'SQLITE_READONLY');
      assert.equal(isStoreUnavailable(await errorOf(() => rw.exec('INSERT INTO t VALUES (1)'))), false, 'a primary key violation');
      assert.equal(isStoreUnavailable(await errorOf(() => rw.exec('SELEC 1'))), false, 'a syntax error');
      ro.close();
      rw.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pgWhy = await postgresUnavailable();
if (pgWhy && process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true: ${pgWhy}`);

describe('unavailable or not: PostgreSQL', { skip: pgWhy ? `PostgreSQL unreachable (${pgWhy})` : false }, () => {
  it('a refused connection and a terminated backend are unavailable; a bad statement is not', async () => {
    const url = new URL(TEST_PG_URL);
    url.port = String(await freePort());
    const refused = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
    assert.equal(isStoreUnavailable(await errorOf(() => refused.connect())), true, 'nothing listens on the port');

    const victim = new pg.Client({ connectionString: TEST_PG_URL });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await victim.connect();
    await admin.connect();
    try {
      assert.equal(isStoreUnavailable(await errorOf(() => victim.query('SELEC 1'))), false, 'a syntax error');
      assert.equal(isStoreUnavailable(await errorOf(() => victim.query('SELECT 1/0'))), false, 'division by zero');
      const errors: unknown[] = [];
      victim.on('error', (err) => errors.push(err));
      const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // The victim is inside a query when its backend is terminated (as when PostgreSQL stops).
      const during = errorOf(() => victim.query('SELECT pg_sleep(10)'));
      await new Promise((r) => setTimeout(r, 200));
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const err = await during;
      assert.equal(isStoreUnavailable(err), true, `the query cut off: ${(err as Error).message}`);
      const after = await errorOf(() => victim.query('SELECT 1'));
      assert.equal(isStoreUnavailable(after), true, `the next query on the dead client: ${(after as Error).message}`);
    } finally {
      // The victim's backend was terminated on purpose: ending that client may fail, and has nothing left to release.
      await victim.end().catch(() => {});
      await admin.end();
    }
  });
});
