/**
 * The upgrade to one write per attempt (migration `open-attempt-on-run`: SQLite 20, PostgreSQL
 * 21): a database made at the migration before it, holding attempts as the earlier version
 * wrote them (a `running` row inserted at lease time, updated when it ended), behaves the same
 * once migrated. Its open attempts move onto their runs (their rows go), the listing answers as
 * it did, their leases work on, and ending them writes their one row.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Store } from '../src/store/store.ts';
import { toAttempt } from '../src/runs/run-codec.ts';
import { WireFormat } from '../src/core/index.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

const MIGRATION = 'open-attempt-on-run';

/** The lease as the earlier version wrote it: the run moved to running and its attempt row inserted, outcome running. */
async function oldLease(store: Store, tenantId: string, runId: string, leaseId: string): Promise<void> {
  await store.writer.write(async (ctx) => {
    const now = ctx.now;
    const run = await ctx.trx
      .updateTable('runs')
      .set((eb) => ({
        status: 'running', attempts: eb('attempts', '+', 1), lease_id: leaseId, lease_expires_at: now + 30_000, lease_ttl_ms: 30_000,
        attempt_deadline_at: now + 30_000, worker_id: 'old-worker', started_at: sql<number>`coalesce(started_at, ${now})`, updated_at: now, last_seq: eb('last_seq', '+', 1),
      }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', runId)
      .returning(['agent', 'attempts', 'last_seq'])
      .executeTakeFirstOrThrow();
    await ctx.trx.insertInto('run_attempts').values({ tenant_id: tenantId, run_id: runId, attempt: run.attempts, lease_id: leaseId, worker_id: 'old-worker', started_at: now, ended_at: null, outcome: 'running', error: null }).execute();
    ctx.events.push({ tenant_id: tenantId, run_id: runId, agent: run.agent, seq: run.last_seq, type: 'run.started', at: now, data: { lease_id: leaseId, worker_id: 'old-worker', attempt: run.attempts } });
  });
}

/** An attempt's end as the earlier version wrote it: its row updated, the run retried (queued) or succeeded. */
async function oldEnd(store: Store, tenantId: string, runId: string, leaseId: string, end: 'failed' | 'succeeded'): Promise<void> {
  await store.writer.write(async (ctx) => {
    const now = ctx.now;
    const error = end === 'failed' ? JSON.stringify({ type: 'flaky', message: 'try again', non_retryable: false, details: null }) : null;
    await ctx.trx.updateTable('run_attempts').set({ ended_at: now, outcome: end, error }).where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId).where('outcome', '=', 'running').execute();
    const run = await ctx.trx
      .updateTable('runs')
      .set((eb) =>
        end === 'failed'
          ? { status: 'queued', error, available_at: now, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null, updated_at: now, last_seq: eb('last_seq', '+', 1) }
          : { status: 'succeeded', output: '{"greeting":"old"}', finished_at: now, lease_expires_at: null, updated_at: now, last_seq: eb('last_seq', '+', 1) },
      )
      .where('tenant_id', '=', tenantId)
      .where('id', '=', runId)
      .returning(['agent', 'last_seq'])
      .executeTakeFirstOrThrow();
    ctx.events.push({ tenant_id: tenantId, run_id: runId, agent: run.agent, seq: run.last_seq, type: end === 'failed' ? 'run.retrying' : 'run.succeeded', at: now, data: {} });
  });
}

for (const d of await dialects()) {
  describe(`upgrade to one attempt row per attempt (${d.name})`, { skip: d.skip }, () => {
    const migrations = d.name === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
    const previous = migrations.find((m) => m.name === MIGRATION)!.id - 1;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const wire = new WireFormat();
    let db: TestDatabase;
    let t: TestApp | undefined;
    /** Run id by role, and what the earlier version listed for each. */
    const runs: Record<'open' | 'retried' | 'done' | 'queued', string> = { open: '', retried: '', done: '', queued: '' };
    const before_: Record<string, unknown[]> = {};

    before(async () => {
      db = await d.create();
      const old = await startTestApp(db, { clock, store: { migrateUpTo: previous } });
      try {
        const columns = await sql<{ n: number }>`select count(*) as n from agentd_migrations where id > ${previous}`.execute(old.store.allTenants(old.store.db));
        assert.equal(Number(columns.rows[0].n), 0, `the database stops at migration ${previous}`);
        assert.equal((await old.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
        for (const role of Object.keys(runs) as (keyof typeof runs)[]) {
          const r = await old.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: role } } });
          assert.equal(r.statusCode, 201, r.body);
          runs[role] = r.json().id;
        }
        const tenant = old.tenantId;
        await oldLease(old.store, tenant, runs.open, 'lse_old_open');
        clock.advance(1000);
        await oldLease(old.store, tenant, runs.retried, 'lse_old_r1');
        clock.advance(1000);
        await oldEnd(old.store, tenant, runs.retried, 'lse_old_r1', 'failed');
        clock.advance(1000);
        await oldLease(old.store, tenant, runs.retried, 'lse_old_r2');
        await oldLease(old.store, tenant, runs.done, 'lse_old_done');
        clock.advance(1000);
        await oldEnd(old.store, tenant, runs.done, 'lse_old_done', 'succeeded');
        // What the earlier version's listing answered: its rows, in attempt order.
        for (const id of Object.values(runs)) {
          const rows = await old.store.db.selectFrom('run_attempts').selectAll().where('tenant_id', '=', tenant).where('run_id', '=', id).orderBy('attempt').orderBy('started_at').execute();
          before_[id] = rows.map((r) => toAttempt(r, wire));
        }
      } finally {
        await old.close();
      }
      clock.advance(1000);
      t = await startTestApp(db, { clock });
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('moves the open attempts onto their runs and lists every run as before', async () => {
      const app = t!;
      const running = await app.store.db.selectFrom('run_attempts').select('lease_id').where('tenant_id', '=', app.tenantId).where('outcome', '=', 'running').execute();
      assert.deepEqual(running, [], 'no open attempt keeps a row');
      const open = await app.store.db.selectFrom('runs').select(['id', 'attempt_started_at']).where('tenant_id', '=', app.tenantId).where('id', 'in', [runs.open, runs.retried]).orderBy('id').execute();
      for (const r of open) assert.ok(r.attempt_started_at !== null, `${r.id} carries its open attempt's start`);
      assert.deepEqual((before_[runs.retried] as { outcome: string }[]).map((a) => a.outcome), ['failed', 'running']);
      for (const id of Object.values(runs)) {
        assert.deepEqual((await app.call('GET', `/v1/runs/${id}/attempts`)).json().data, before_[id], `the attempts of ${id} read as before the upgrade`);
      }
    });

    it('the open leases work on, the ended ones are 409, and ending an attempt writes its one row', async () => {
      const app = t!;
      const worker = await app.keyFor('worker');
      const w = (url: string, body: unknown = {}) => app.call('POST', url, { key: worker, body });
      assert.equal((await w('/v1/leases/lse_old_open/heartbeat')).json().status, 'active');
      for (const stale of ['lse_old_r1', 'lse_old_done']) {
        const r = await w(`/v1/leases/${stale}/events`, { events: [{ type: 'run.log', data: { message: 'late' } }] });
        assert.equal(r.statusCode, 409, r.body);
        assert.equal(r.json().error.code, 'LEASE_LOST');
      }
      clock.advance(500);
      assert.equal((await w('/v1/leases/lse_old_open/complete', { output: { greeting: 'a' } })).statusCode, 200);
      const batch = await w('/v1/worker/complete', { results: [{ lease_id: 'lse_old_r2', output: { greeting: 'b' } }] });
      assert.ok(batch.json().results[0].ok, batch.body);
      const ended = new Date(clock.now()).toISOString();
      const listed = async (id: string) => (await app.call('GET', `/v1/runs/${id}/attempts`)).json().data as { outcome: string; ended_at: string | null; lease_id: string; started_at: string }[];
      const open = await listed(runs.open);
      assert.deepEqual(open, [{ ...(before_[runs.open][0] as object), ended_at: ended, outcome: 'succeeded' }]);
      const retried = await listed(runs.retried);
      assert.deepEqual(retried, [before_[runs.retried][0], { ...(before_[runs.retried][1] as object), ended_at: ended, outcome: 'succeeded' }]);
      const count = async (id: string) => (await app.store.db.selectFrom('run_attempts').select('lease_id').where('tenant_id', '=', app.tenantId).where('run_id', '=', id).execute()).length;
      assert.deepEqual([await count(runs.open), await count(runs.retried), await count(runs.done), await count(runs.queued)], [1, 2, 1, 0]);
      // A run queued at the upgrade is leased the new way: no row until its attempt ends.
      const [task] = (await w('/v1/worker/lease', { agent: 'hello', max_tasks: 1, wait_ms: 0, worker_id: 'new-worker' })).json().tasks;
      assert.equal(task.run_id, runs.queued);
      assert.equal(await count(runs.queued), 0);
      assert.deepEqual((await listed(runs.queued)).map((a) => a.outcome), ['running']);
      assert.equal((await w(`/v1/leases/${task.lease_id}/complete`, { output: { greeting: 'c' } })).statusCode, 200);
      assert.equal(await count(runs.queued), 1);
    });
  });
}
