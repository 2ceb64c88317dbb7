/**
 * Hardening items 9 and 10: the timers write in batches (one transaction per batch, bounded per
 * pass) and never fail silently. Commits are counted on the store's `commit` topic: one per
 * transaction the write queue actually committed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock } from './helpers/test-app.ts';
import { openLoopNode, type LoopNode } from './helpers/loop-store.ts';

const BATCH = 100;
const PASS = 500;

const GATED = {
  ...HELLO_MANIFEST,
  metadata: { name: 'gated' },
  spec: { runtime: 'worker', endpoints: { pay: { approval: { prompt: 'Pay this?', timeout: '1m', on_timeout: 'reject' } } } },
};

for (const d of await dialects()) {
  describe(`timers in batches (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let n: LoopNode;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));

    before(async () => {
      db = await d.create();
      n = await openLoopNode(db, clock, { failureThreshold: 2, sweep: { batchSize: BATCH, passLimit: PASS, purgeBatchSize: BATCH, purgePassLimit: PASS } });
      for (const m of [HELLO_MANIFEST, GATED, { ...HELLO_MANIFEST, metadata: { name: 'other' } }]) assert.equal((await call('POST', '/v1/agents', m)).statusCode, 201);
    });
    after(async () => {
      await n?.close();
      await db?.cleanup();
    });

    const call = async (method: string, url: string, body?: unknown) => {
      const res = await n.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${n.adminKey}` }, ...(body !== undefined ? { payload: body as string } : {}) });
      return Object.assign(res, { json: <T = any>() => JSON.parse(res.body) as T });
    };
    const createRuns = async (count: number, agent: string, endpoint: string, input: unknown) => {
      for (let i = 0; i < count; i += 500) {
        const runs = Array.from({ length: Math.min(500, count - i) }, () => ({ agent, endpoint, input }));
        const r = await call('POST', '/v1/runs/batch', { runs });
        assert.equal(r.statusCode, 201, r.body);
      }
    };
    const leaseAll = async (agent: string) => {
      let leased = 0;
      for (;;) {
        const r = await call('POST', '/v1/worker/lease', { agent, max_tasks: 100, wait_ms: 0, lease_ttl_ms: 1000, worker_id: 'w' });
        assert.equal(r.statusCode, 200, r.body);
        const got = r.json().tasks.length as number;
        leased += got;
        if (got === 0) return leased;
      }
    };
    /** Commits of the store's write queue while `fn` runs. */
    const commitsDuring = async <T>(fn: () => Promise<T>): Promise<{ value: T; commits: number }> => {
      // The requests' own writes (audit records, a key's last use) commit first, so only the pass's are counted.
      await n.engine.audit.settled();
      await n.store.writer.drain();
      let commits = 0;
      const off = n.store.notifier.on('commit', () => commits++);
      try {
        return { value: await fn(), commits };
      } finally {
        off();
      }
    };
    const count = async (q: Promise<{ n: number | string | bigint }>) => Number((await q).n);

    it('1,200 expired leases: each pass handles 500 in five transactions, the rest waits for the next pass', async () => {
      await createRuns(1200, 'hello', 'greet', { name: 'x' });
      assert.equal(await leaseAll('hello'), 1200);
      clock.advance(5_000);
      const expiredNow = () => count(n.store.allTenants(n.store.db).selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').where('lease_expires_at', '<', clock.now()).executeTakeFirstOrThrow());
      const figures: { pass: number; swept: number; commits: number; left: number }[] = [];
      for (const [pass, expected] of [[1, 500], [2, 500], [3, 200], [4, 0]] as const) {
        const { value, commits } = await commitsDuring(() => n.engine.sweeper.sweepOnce());
        const left = await expiredNow();
        figures.push({ pass, swept: value.expiredLeases, commits, left });
        assert.equal(value.expiredLeases, expected);
        assert.equal(value.failed, 0);
        // ceil(expected / BATCH) batches, plus the idempotency purge's one DELETE.
        assert.ok(commits <= Math.ceil(expected / BATCH) + 1, `pass ${pass}: ${commits} commits for ${expected} rows`);
        assert.ok(commits >= Math.ceil(expected / BATCH), `pass ${pass}: rows were swept in fewer transactions than batches`);
      }
      assert.deepEqual(figures.map((f) => f.left), [700, 200, 0, 0]);
      console.log(`# figure (${d.name}): expired-lease passes ${JSON.stringify(figures)}`);
      // Every run was retried exactly once, with one retrying event each.
      const retrying = await count(n.store.allTenants(n.store.db).selectFrom('run_events').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', 'run.retrying').executeTakeFirstOrThrow());
      assert.equal(retrying, 1200);
      assert.equal(await count(n.store.allTenants(n.store.db).selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'queued').where('agent', '=', 'hello').executeTakeFirstOrThrow()), 1200);
    });

    it('600 expired approvals: 500 in five transactions, then the other 100', async () => {
      await createRuns(600, 'gated', 'pay', {});
      clock.advance(120_000);
      const first = await commitsDuring(() => n.engine.sweeper.sweepOnce());
      assert.equal(first.value.approvalsExpired, 500);
      assert.ok(first.commits <= PASS / BATCH + 1 && first.commits >= PASS / BATCH, `${first.commits} commits for 500 approvals`);
      const pending = () => count(n.store.allTenants(n.store.db).selectFrom('approvals').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow());
      assert.equal(await pending(), 100);
      const second = await commitsDuring(() => n.engine.sweeper.sweepOnce());
      assert.equal(second.value.approvalsExpired, 100);
      assert.equal(await pending(), 0);
      console.log(`# figure (${d.name}): approval-expiry passes ${JSON.stringify([{ swept: 500, commits: first.commits }, { swept: 100, commits: second.commits }])}`);
      // on_timeout reject: every run failed, its approval expired, each with its events.
      assert.equal(await count(n.store.allTenants(n.store.db).selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).where('agent', '=', 'gated').where('status', '=', 'failed').executeTakeFirstOrThrow()), 600);
      assert.equal(await count(n.store.allTenants(n.store.db).selectFrom('run_events').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', 'approval.expired').executeTakeFirstOrThrow()), 600);
    });

    it('1,200 expired idempotency records: 500 per pass, 100 per DELETE and transaction', async () => {
      const now = clock.now();
      await n.store.writer.write(async ({ trx }) => {
        for (let i = 0; i < 1200; i += 200) {
          const rows = Array.from({ length: 200 }, (_, j) => ({ tenant_id: 'default', route: 'POST /v1/runs', key: `k-${i + j}`, request_hash: 'h', status_code: 201, response: '{}', created_at: now - 10, expires_at: now - 1 }));
          await trx.insertInto('idempotency_keys').values(rows).execute();
        }
      });
      const left = () => count(n.store.allTenants(n.store.db).selectFrom('idempotency_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
      const first = await commitsDuring(() => n.engine.sweeper.sweepOnce());
      assert.equal(first.value.idempotencyKeysDeleted, 500);
      assert.equal(first.commits, PASS / BATCH);
      assert.equal(await left(), 700);
      assert.equal((await n.engine.sweeper.sweepOnce()).idempotencyKeysDeleted, 500);
      assert.equal((await n.engine.sweeper.sweepOnce()).idempotencyKeysDeleted, 200);
      assert.equal(await left(), 0);
    });

    it('a row that cannot be swept fails alone, is logged with its run, and after repeated passes readiness names the loop', async () => {
      await createRuns(3, 'other', 'greet', { name: 'y' });
      assert.equal(await leaseAll('other'), 3);
      const [poisoned] = await n.store.allTenants(n.store.db).selectFrom('runs').select('id').where('agent', '=', 'other').orderBy('id').limit(1).execute();
      // A trigger makes every UPDATE of this one run fail: a stand-in for a row the sweeper cannot handle.
      const poison =
        d.name === 'sqlite'
          ? [`CREATE TRIGGER poison_run BEFORE UPDATE ON runs WHEN OLD.id = '${poisoned.id}' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`]
          : [
              `CREATE FUNCTION poison_run() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'poisoned row'; END $$`,
              `CREATE TRIGGER poison_run BEFORE UPDATE ON runs FOR EACH ROW WHEN (OLD.id = '${poisoned.id}') EXECUTE FUNCTION poison_run()`,
            ];
      await n.store.writer.write(async ({ trx }) => {
        for (const q of poison) await sql.raw(q).execute(trx);
      });
      clock.advance(5_000);
      const ready = () => call('GET', '/v1/health/ready');
      assert.equal((await ready()).statusCode, 200);
      const first = await n.engine.sweeper.sweepOnce();
      assert.equal(first.expiredLeases, 2, 'the other two runs were swept');
      assert.equal(first.failed, 1);
      const logged = n.logs.find((l) => l.level === 'error' && l.context.run_id === poisoned.id);
      assert.ok(logged, 'the failed row is logged with its run id');
      assert.equal(logged.context.loop, 'run-timers');
      assert.match(String((logged.context.err as { message: string }).message), /poisoned row/);
      assert.equal((await ready()).statusCode, 200, 'one failed pass is not yet a failing loop');
      await n.engine.sweeper.sweepOnce();
      const down = await ready();
      assert.equal(down.statusCode, 503, down.body);
      const body = down.json();
      assert.equal(body.error.code, 'UNAVAILABLE');
      assert.deepEqual(
        body.error.details.failing_loops.map((l: { loop: string; consecutive_failures: number }) => [l.loop, l.consecutive_failures]),
        [['run-timers', 2]],
      );
      assert.doesNotMatch(down.body, /poisoned row/, 'error messages stay in the log, not on a public route');
      const health = n.store.loops.status().find((l) => l.loop === 'run-timers')!;
      assert.equal(health.failed_items, 2);
      await n.store.writer.write(async ({ trx }) => {
        await sql.raw('DROP TRIGGER poison_run' + (d.name === 'postgres' ? ' ON runs' : '')).execute(trx);
      });
      assert.equal((await n.engine.sweeper.sweepOnce()).expiredLeases, 1);
      assert.equal((await ready()).statusCode, 200, 'a pass that went through clears it');
      assert.ok(n.logs.some((l) => l.level === 'info' && l.context.loop === 'run-timers' && /recovered/.test(l.message)));
    });
  });
}
