/**
 * Writes are all-or-nothing per operation (hardening issue, item 3). Operations that share one
 * group commit each run in a savepoint: an operation that throws — a DomainError after it wrote,
 * any other error, an SQL error that on PostgreSQL aborts the transaction — leaves no row and no
 * event behind, and its neighbours in the same transaction commit untouched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Transaction } from 'kysely';
import { appendRunEvents } from '../src/runs/index.ts';
import type { Database, WriteContext } from '../src/store/index.ts';
import { DomainError } from '../src/core/index.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { FaultInjector, isInjected } from './helpers/fault-injector.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

for (const d of await dialects()) {
  describe(`write atomicity per operation (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const faults = new FaultInjector();

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { store: { writerPlugins: [faults] } });
      await t.engine.agents.deploy('default', HELLO_MANIFEST);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async () => (await t.engine.runs.create('default', { agent: 'hello', endpoint: 'greet', input: { name: 'a' } })).id;
    const seqs = async (runId: string) => (await t.store.allTenants(t.store.db).selectFrom('run_events').select('seq').where('run_id', '=', runId).orderBy('seq').execute()).map((e) => e.seq);
    const lastSeq = async (runId: string) => (await t.store.allTenants(t.store.db).selectFrom('runs').select('last_seq').where('id', '=', runId).executeTakeFirstOrThrow()).last_seq;

    it('a failing operation leaves nothing; its neighbours in the same transaction commit', async () => {
      const [r1, r2] = [await create(), await create()];
      const transactions = new Set<Transaction<Database>>();
      const op = (fn: (ctx: WriteContext) => Promise<unknown>) =>
        t.store.writer.write(async (ctx) => {
          transactions.add(ctx.trx);
          return fn(ctx);
        });
      const run1 = await t.store.allTenants(t.store.db).selectFrom('runs').selectAll().where('id', '=', r1).executeTakeFirstOrThrow();
      const run2 = await t.store.allTenants(t.store.db).selectFrom('runs').selectAll().where('id', '=', r2).executeTakeFirstOrThrow();
      // All queued in one turn of the event loop: one batch, one transaction.
      const results = await Promise.allSettled([
        op(async (ctx) => {
          await appendRunEvents(ctx, run1, [{ type: 'run.log', data: { n: 'domain' } }]);
          throw new DomainError('LEASE_LOST', 'thrown after a write');
        }),
        op(async (ctx) => appendRunEvents(ctx, run2, [{ type: 'run.log', data: { n: 'kept 1' } }])),
        op(async (ctx) => {
          await appendRunEvents(ctx, run1, [{ type: 'run.log', data: { n: 'bug' } }]);
          await ctx.trx.updateTable('runs').set({ metadata: '{"half":"written"}' }).where('tenant_id', '=', 'default').where('id', '=', r1).execute();
          throw new TypeError('a bug after two writes');
        }),
        op(async (ctx) => {
          await appendRunEvents(ctx, run1, [{ type: 'run.log', data: { n: 'sql' } }]);
          // A duplicate primary key: on PostgreSQL this aborts the whole transaction unless rolled back to a savepoint.
          await ctx.trx.insertInto('tenants').values({ id: 'default', name: 'dup', event_seq: 0, finding_seq: 0, created_at: 0 }).execute();
        }),
        op(async (ctx) => appendRunEvents(ctx, run2, [{ type: 'run.log', data: { n: 'kept 2' } }])),
      ]);
      assert.equal(transactions.size, 1, 'the five operations shared one transaction');
      assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
      assert.ok((results[0] as PromiseRejectedResult).reason instanceof DomainError);
      assert.ok((results[2] as PromiseRejectedResult).reason instanceof TypeError);
      assert.deepEqual(await seqs(r1), [1], 'no event of the failed operations, no seq gap');
      assert.equal(await lastSeq(r1), 1);
      const row1 = await t.store.allTenants(t.store.db).selectFrom('runs').select('metadata').where('id', '=', r1).executeTakeFirstOrThrow();
      assert.equal(row1.metadata, '{}', 'the half-write was rolled back');
      assert.deepEqual(await seqs(r2), [1, 2, 3]);
      assert.equal(await lastSeq(r2), 3);
      const logs = await t.store.allTenants(t.store.db).selectFrom('run_events').select('data').where('run_id', '=', r2).where('type', '=', 'run.log').orderBy('seq').execute();
      assert.deepEqual(logs.map((l) => JSON.parse(l.data).n), ['kept 1', 'kept 2']);
    });

    it('an operation whose deferred step fails fails alone; the others run again and commit', async () => {
      const [r1, r2] = [await create(), await create()];
      const run1 = await t.store.allTenants(t.store.db).selectFrom('runs').selectAll().where('id', '=', r1).executeTakeFirstOrThrow();
      const run2 = await t.store.allTenants(t.store.db).selectFrom('runs').selectAll().where('id', '=', r2).executeTakeFirstOrThrow();
      const results = await Promise.allSettled([
        t.store.writer.write(async (ctx) => appendRunEvents(ctx, run2, [{ type: 'run.log', data: { n: 'kept 1' } }])),
        t.store.writer.write(async (ctx) => {
          await appendRunEvents(ctx, run1, [{ type: 'run.log', data: { n: 'deferred fails' } }]);
          // After every savepoint is released: a duplicate key in the step that runs last.
          ctx.deferred.push(async (trx) => {
            await trx.insertInto('tenants').values({ id: 'default', name: 'dup', event_seq: 0, finding_seq: 0, created_at: 0 }).execute();
          });
        }),
        t.store.writer.write(async (ctx) => appendRunEvents(ctx, run2, [{ type: 'run.log', data: { n: 'kept 2' } }])),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual(await seqs(r1), [1], 'no event of the failed operation, no seq gap');
      assert.equal(await lastSeq(r1), 1);
      const logs = await t.store.allTenants(t.store.db).selectFrom('run_events').select('data').where('run_id', '=', r2).where('type', '=', 'run.log').orderBy('seq').execute();
      assert.deepEqual(logs.map((l) => JSON.parse(l.data).n), ['kept 1', 'kept 2']);
      assert.deepEqual(await seqs(r2), [1, 2, 3]);
    });

    it('a cancel whose approvals were settled before it failed leaves them pending (no event-less cancellation)', async () => {
      const runId = await create();
      const tasks = await t.engine.leases.leaseOnce({ tenantId: 'default', agent: 'hello', maxTasks: 10, waitMs: 0, workerId: 'w', leaseTtlMs: 30_000 });
      const task = tasks.find((k) => k.run_id === runId)!;
      assert.ok(task, 'the run was leased');
      const approval = await t.engine.approvals.requestForLease('default', task.lease_id, { key: 'k', payload: null, prompt: 'ok?', timeout_ms: null, on_timeout: 'reject', assignees: [], required_approvals: 1 });
      const before = await lastSeq(runId);
      // The cancel's statements: lock/read the run, settle its approvals, append their event,
      // re-read, … — fail it at each of its first statements in turn.
      for (let n = 2; n <= 6; n++) {
        faults.failAfter(n, { domain: true });
        const err = await t.engine.runs.cancel('default', runId, { reason: 'stop' }).then(() => null, (e: unknown) => e);
        faults.disarm();
        if (err === null) {
          // The fault fell after the operation (in the batch's event insert, or never): then the whole commit failed or it all succeeded.
          break;
        }
        assert.ok(isInjected(err), String(err));
        const a = await t.store.allTenants(t.store.db).selectFrom('approvals').select('status').where('id', '=', approval.id).executeTakeFirstOrThrow();
        assert.equal(a.status, 'pending', `after a fault at statement ${n} the approval is still pending`);
        assert.equal(await lastSeq(runId), before, `after a fault at statement ${n} no seq was taken`);
        assert.deepEqual(await seqs(runId), Array.from({ length: before }, (_, i) => i + 1));
      }
      const run = await t.engine.runs.get('default', runId);
      if (run.status !== 'cancelled') await t.engine.runs.cancel('default', runId, { reason: 'stop' });
      const events = await t.store.allTenants(t.store.db).selectFrom('run_events').select(['seq', 'type', 'data']).where('run_id', '=', runId).orderBy('seq').execute();
      const last = await lastSeq(runId);
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: last }, (_, i) => i + 1), 'gap-free');
      const decided = events.filter((e) => e.type === 'approval.decided' && JSON.parse(e.data).approval_id === approval.id);
      assert.equal(decided.length, 1, 'the approval was cancelled exactly once, with its event');
      assert.equal(events.at(-1)!.type, 'run.cancelled');
    });
  });
}
