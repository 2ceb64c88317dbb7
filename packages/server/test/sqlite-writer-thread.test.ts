/**
 * SQLite's writes on a thread of their own (`--sqlite-writer thread`, store/sqlite/writer-thread.ts):
 * statements nobody waits for (plain INSERTs, the savepoints) are pipelined, and a failure of
 * one of them is still exactly its own operation's, with its writes undone and the rest of the
 * group commit kept; the HTTP API works end to end on it; the whole suite also runs on it with
 * AGENTD_SQLITE_WRITER=thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './helpers/leak-check-after-file.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../src/store/store.ts';
import type { WriteContext } from '../src/store/index.ts';
import { isPipelined } from '../src/store/sqlite/writer-thread.ts';
import { createSqliteDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp } from './helpers/test-app.ts';

const AUDIT_COLUMNS = ['tenant_id', 'id', 'at', 'actor', 'actor_role', 'action', 'target_type', 'target_id', 'outcome', 'status_code', 'request_id', 'details'] as const;

function auditRow(id: string) {
  return { tenant_id: 'default', id, at: 1, actor: 'test', actor_role: 'admin', action: 'POST /v1/test', target_type: null, target_id: null, outcome: 'ok', status_code: 200, request_id: 'req_1', details: '{}' };
}

const insertAudit = (ctx: WriteContext, id: string) => ctx.queries.insertRows(ctx.trx, 'audit_log', [...AUDIT_COLUMNS], [auditRow(id)] as never);

async function withThreadStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agentd-writer-thread-'));
  const store = await openStore({ dataDir: dir, now: () => Date.now(), sqliteWriter: 'thread', checkTenantScope: true });
  try {
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const auditIds = async (store: Store) => (await store.db.selectFrom('audit_log').select('id').where('tenant_id', '=', 'default').orderBy('id').execute()).map((r) => r.id);

test('which statements go without a round trip: plain INSERTs and the savepoints, nothing whose answer is read', () => {
  assert.equal(isPipelined('insert into "runs" ("id") values (?)'), true);
  assert.equal(isPipelined('SAVEPOINT agentd_op'), true);
  assert.equal(isPipelined('RELEASE SAVEPOINT agentd_op'), true);
  assert.equal(isPipelined('insert into "runs" ("id") values (?) returning "id"'), false);
  assert.equal(isPipelined('insert into "receipts" ("id") values (?) on conflict do nothing'), false);
  assert.equal(isPipelined('insert into "t" select * from "u"'), false);
  assert.equal(isPipelined('update "runs" set "status" = ? where "id" = ?'), false);
  assert.equal(isPipelined('select 1'), false);
  assert.equal(isPipelined('ROLLBACK TO SAVEPOINT agentd_op'), false);
  assert.equal(isPipelined('commit'), false);
});

test('a failed pipelined INSERT fails its own operation only: its writes are undone, the others in the same commit stay', async () => {
  await withThreadStore(async (store) => {
    await store.writer.write((ctx) => insertAudit(ctx, 'aud_0'));
    // Queued in one tick: one group commit. B writes a row, then one that collides, and returns
    // as if all went well: nothing it awaited failed; the failure is found when it is settled.
    const a = store.writer.write(async (ctx) => {
      await insertAudit(ctx, 'aud_a');
      return 'a';
    });
    const b = store.writer.write(async (ctx) => {
      await insertAudit(ctx, 'aud_b');
      await insertAudit(ctx, 'aud_0');
      return 'b';
    });
    const c = store.writer.write(async (ctx) => {
      await insertAudit(ctx, 'aud_c');
      return 'c';
    });
    const [ra, rb, rc] = await Promise.allSettled([a, b, c]);
    assert.deepEqual(ra, { status: 'fulfilled', value: 'a' });
    assert.equal(rb.status, 'rejected');
    assert.match(String((rb as PromiseRejectedResult).reason.message), /UNIQUE constraint failed/);
    assert.deepEqual(rc, { status: 'fulfilled', value: 'c' });
    assert.deepEqual(await auditIds(store), ['aud_0', 'aud_a', 'aud_c']);
  });
});

test('a statement waited for after a failed pipelined one reports that failure and does not run', async () => {
  await withThreadStore(async (store) => {
    await store.writer.write((ctx) => insertAudit(ctx, 'aud_0'));
    let readAfter: unknown = 'not reached';
    const failing = store.writer.write(async (ctx) => {
      await insertAudit(ctx, 'aud_0');
      try {
        readAfter = await ctx.trx.selectFrom('audit_log').select('id').where('tenant_id', '=', 'default').execute();
      } catch (err) {
        readAfter = err;
        throw err;
      }
    });
    await assert.rejects(failing, /UNIQUE constraint failed/);
    assert.match(String((readAfter as Error).message), /UNIQUE constraint failed/);
    // The connection is usable again at once: the rollback to the savepoint cleared the failure.
    await store.writer.write((ctx) => insertAudit(ctx, 'aud_1'));
    assert.deepEqual(await auditIds(store), ['aud_0', 'aud_1']);
  });
});

test('a failed pipelined INSERT in a deferred step fails that operation alone; the others commit on a second try', async () => {
  await withThreadStore(async (store) => {
    await store.writer.write((ctx) => insertAudit(ctx, 'aud_0'));
    const ok = store.writer.write(async (ctx) => {
      await insertAudit(ctx, 'aud_ok');
    });
    const deferredFails = store.writer.write(async (ctx) => {
      await insertAudit(ctx, 'aud_x');
      ctx.deferred.push(async (trx) => {
        await store.queries.insertRows(trx, 'audit_log', [...AUDIT_COLUMNS], [auditRow('aud_0')] as never);
      });
    });
    const [rok, rdef] = await Promise.allSettled([ok, deferredFails]);
    assert.equal(rok.status, 'fulfilled');
    assert.equal(rdef.status, 'rejected');
    assert.deepEqual(await auditIds(store), ['aud_0', 'aud_ok']);
  });
});

test('the HTTP API on the writer thread: runs created one by one and by batch, leased, completed, their events in order', async () => {
  const db = await createSqliteDatabase();
  const t = await startTestApp(db, { store: { sqliteWriter: 'thread' } });
  try {
    assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
    const one = await Promise.all(Array.from({ length: 20 }, (_, i) => t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: `n${i}` } } })));
    for (const r of one) assert.equal(r.statusCode, 201);
    const batch = await t.call('POST', '/v1/runs/batch', { body: { runs: Array.from({ length: 30 }, (_, i) => ({ agent: 'hello', endpoint: 'greet', input: { name: `b${i}` } })) } });
    assert.equal(batch.statusCode, 201);
    const worker = await t.keyFor('worker');
    const lease = await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'hello', max_tasks: 100, wait_ms: 0 } });
    assert.equal(lease.statusCode, 200);
    const tasks = lease.json<{ tasks: { lease_id: string; run_id: string; input: { name: string } }[] }>().tasks;
    assert.equal(tasks.length, 50);
    const done = await t.call('POST', '/v1/worker/complete', { key: worker, body: { results: tasks.map((k) => ({ lease_id: k.lease_id, output: { greeting: `hi ${k.input.name}` } })) } });
    assert.equal(done.statusCode, 200);
    assert.ok(done.json<{ results: { ok: boolean }[] }>().results.every((r) => r.ok));
    const run = await t.call('GET', `/v1/runs/${tasks[7].run_id}`);
    assert.equal(run.json().status, 'succeeded');
    const events = await t.call('GET', `/v1/runs/${tasks[7].run_id}/events`, { headers: { accept: 'application/json' } });
    assert.deepEqual(events.json<{ data: { type: string; seq: number }[] }>().data.map((e) => [e.seq, e.type]), [[1, 'run.queued'], [2, 'run.started'], [3, 'run.succeeded']]);
    // A bad request changes nothing and the writer goes on.
    assert.equal((await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 3 } } })).statusCode, 422);
    assert.equal((await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'last' } } })).statusCode, 201);
  } finally {
    await t.close();
    await db.cleanup();
  }
});
