/**
 * Hardening item 9 for the PostgreSQL listener: its connection killed (pg_terminate_backend on
 * that backend only, in a database of this test's own) is logged and counted, it reconnects by
 * itself, says so, and wake-ups from another node flow again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPostgresDatabase, postgresUnavailable, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { openLoopNode } from './helpers/loop-store.ts';
import { systemClock } from '../src/core/index.ts';

const why = await postgresUnavailable();
if (why && process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true: ${why}`);

describe('background loop health (postgres)', { skip: why ? `PostgreSQL unreachable (${why})` : false }, () => {
  let db: TestDatabase;
  let admin: pg.Client;

  before(async () => {
    db = await createPostgresDatabase();
    admin = new pg.Client({ connectionString: db.location });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await db?.cleanup();
  });

  it('a killed LISTEN connection is logged and counted, reconnects by itself, and wake-ups from another node arrive again', async () => {
    const a = await openLoopNode(db, systemClock);
    const b = await openLoopNode(db, systemClock);
    try {
      const listeners = async () =>
        (await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN agentd' AND pid <> pg_backend_pid()")).rows.map((r) => r.pid);
      assert.equal((await listeners()).length, 2, 'one LISTEN connection per node');
      // Only A's: the one whose backend started first is A's (A's store opened first).
      const [aPid] = (await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN agentd' ORDER BY backend_start LIMIT 1")).rows.map((r) => r.pid);
      await admin.query('SELECT pg_terminate_backend($1)', [aPid]);
      await waitUntil(() => a.logs.some((l) => l.level === 'error' && l.context.loop === 'pg-listener'), { what: 'the lost connection logged' });
      assert.ok(!b.logs.some((l) => l.context.loop === 'pg-listener'), "B's listener was not touched");
      await waitUntil(() => a.logs.some((l) => l.level === 'info' && l.context.loop === 'pg-listener' && /recovered/.test(l.message)), { what: 'the listener reconnecting', timeoutMs: 15_000 });
      const status = a.store.loops.status().find((l) => l.loop === 'pg-listener')!;
      assert.equal(status.consecutive_failures, 0);
      assert.ok(status.total_failures >= 1);
      assert.equal((await listeners()).length, 2);
      // B writes; A hears of it over its new connection.
      let woken = false;
      const off = a.store.notifier.on('tenant:default', () => (woken = true));
      try {
        const r = await b.app.inject({ method: 'POST', url: '/v1/agents', headers: { authorization: `Bearer ${b.adminKey}` }, payload: { ...HELLO_MANIFEST, metadata: { name: 'wake' } } });
        assert.equal(r.statusCode, 201, r.body);
        const run = await b.app.inject({ method: 'POST', url: '/v1/runs', headers: { authorization: `Bearer ${b.adminKey}` }, payload: { agent: 'wake', endpoint: 'greet', input: { name: 'x' } } });
        assert.equal(run.statusCode, 201, run.body);
        await waitUntil(() => woken, { what: "A woken by B's commit" });
      } finally {
        off();
      }
      const ready = await a.app.inject({ method: 'GET', url: '/v1/health/ready' });
      assert.equal(ready.statusCode, 200, ready.body);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
