/**
 * Hardening item 11: an honest timer leader on PostgreSQL. Two nodes (two stores and engines)
 * share a database of this test's own; the leader's lock backend is killed with
 * pg_terminate_backend (that backend only). The other node takes over, the old one stops
 * leading, and the fence keeps their timer writes from ever overlapping.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import { createPostgresDatabase, postgresUnavailable, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { openLoopNode, type LoopNode } from './helpers/loop-store.ts';
import { systemClock } from '../src/core/index.ts';
import { LeadershipLost, type LeaderFence } from '../src/store/index.ts';
import { LEADER_LOCK } from '../src/store/postgres/pg-leader.ts';

const why = await postgresUnavailable();
if (why && process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true: ${why}`);

describe('timer leader (postgres)', { skip: why ? `PostgreSQL unreachable (${why})` : false }, () => {
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

  /** The backend holding the leader lock in this test's database, or null. */
  const leaderBackend = async (): Promise<number | null> => {
    const r = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      [LEADER_LOCK],
    );
    return r.rows[0]?.pid ?? null;
  };
  const kill = async (pid: number) => {
    const r = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
    assert.equal(r.rows[0].ok, true);
  };

  it('a leader whose backend is killed mid-pass writes nothing more; the other node takes over; their writes never interleave', async () => {
    const a = await openLoopNode(db, systemClock);
    const b = await openLoopNode(db, systemClock);
    try {
      await a.store.writer.write(async ({ trx }) => {
        await sql`CREATE TABLE leader_work (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL)`.execute(trx);
      });
      const work = (n: LoopNode, node: string, fence: LeaderFence) =>
        n.store.writer.write(async (ctx) => {
          await fence.check(ctx.trx);
          await sql`INSERT INTO leader_work (node) VALUES (${node})`.execute(ctx.trx);
        });
      let aWrites = 0;
      let stop = false;
      // One long pass on A: it goes on writing until its fence stops it (or the test gives up).
      const aPass = a.store.asLeader(async (fence) => {
        try {
          while (!stop) {
            await work(a, 'A', fence);
            aWrites++;
          }
          return 'stopped by the test';
        } catch (err) {
          return err;
        }
      });
      await waitUntil(() => aWrites >= 20, { what: 'A writing as leader' });
      assert.equal(await b.store.asLeader(async () => 'B led'), undefined, 'B cannot lead while A does');
      const pid = await leaderBackend();
      assert.ok(pid);
      await kill(pid);
      let bWrites = 0;
      await waitUntil(
        () =>
          b.store.asLeader(async (fence) => {
            for (let i = 0; i < 20; i++) await work(b, 'B', fence);
            bWrites += 20;
            return true;
          }),
        { what: 'B taking over', timeoutMs: 20_000, intervalMs: 20 },
      );
      stop = true;
      const outcome = await aPass;
      assert.ok(outcome instanceof LeadershipLost, `A's pass ended by its fence, not by the test: ${String(outcome)}`);
      const newPid = await leaderBackend();
      assert.ok(newPid && newPid !== pid, 'B holds the lock on another backend');
      const { rows } = await sql<{ id: string; node: string }>`SELECT id, node FROM leader_work ORDER BY id`.execute(a.store.db);
      const lastA = Math.max(...rows.filter((r) => r.node === 'A').map((r) => Number(r.id)));
      const firstB = Math.min(...rows.filter((r) => r.node === 'B').map((r) => Number(r.id)));
      console.log(`# figure: leader kill: A wrote ${aWrites} rows, B ${bWrites}; last A id ${lastA} < first B id ${firstB}`);
      assert.ok(lastA < firstB, `A wrote after B took over (last A ${lastA}, first B ${firstB})`);
      assert.equal(rows.filter((r) => r.node === 'A').length, aWrites, 'every write A was told succeeded is there, no more');
      assert.equal(await a.store.asLeader(async () => 'A led again'), undefined, 'the old leader does not lead');
      assert.ok(a.logs.some((l) => l.level === 'warn' && /stopped leading/.test(l.message)), 'A logged that it stopped leading');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two engines with running sweepers: after the leader backend is killed the other sweeps, each expired lease exactly once', async () => {
    const a = await openLoopNode(db, systemClock);
    const b = await openLoopNode(db, systemClock);
    try {
      const call = (method: string, url: string, body: unknown) => a.app.inject({ method: method as 'POST', url, headers: { authorization: `Bearer ${a.adminKey}` }, payload: body as string });
      assert.equal((await call('POST', '/v1/agents', HELLO_MANIFEST)).statusCode, 201);
      a.engine.sweeper.start(25);
      await waitUntil(() => a.logs.some((l) => /now leads/.test(l.message)), { what: 'A leading' });
      b.engine.sweeper.start(25);
      const pid = (await leaderBackend())!;
      await kill(pid);
      await waitUntil(() => b.logs.some((l) => /now leads/.test(l.message)), { what: 'B taking over', timeoutMs: 20_000 });
      const tookOver = b.logs.find((l) => /now leads/.test(l.message))!.at;
      assert.ok(a.logs.some((l) => /stopped leading/.test(l.message)));
      // Work for the new leader: 40 runs whose leases lapse after the takeover.
      const created = await call('POST', '/v1/runs/batch', { runs: Array.from({ length: 40 }, () => ({ agent: 'hello', endpoint: 'greet', input: { name: 'x' } })) });
      assert.equal(created.statusCode, 201, created.body);
      const leased = await call('POST', '/v1/worker/lease', { agent: 'hello', max_tasks: 40, wait_ms: 0, lease_ttl_ms: 1000, worker_id: 'w' });
      assert.equal(JSON.parse(leased.body).tasks.length, 40);
      const queued = () => a.store.allTenants(a.store.db).selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'queued').executeTakeFirstOrThrow();
      await waitUntil(async () => Number((await queued()).n) === 40, { what: 'the leases swept', timeoutMs: 20_000 });
      const retried = await a.store.allTenants(a.store.db).selectFrom('run_events').select(['run_id', (eb) => eb.fn.countAll<number>().as('n')]).where('type', '=', 'run.retrying').groupBy('run_id').execute();
      assert.equal(retried.length, 40);
      assert.ok(retried.every((r) => Number(r.n) === 1), 'each lapsed lease swept exactly once');
      assert.equal(await leaderBackend().then((p) => p !== pid), true);
      // Only B's passes ran since it took over; A tried and did not get the lock.
      const aRuns = a.store.loops.status().find((l) => l.loop === 'run-timers');
      assert.ok(!aRuns?.last_success_at || Date.parse(aRuns.last_success_at) <= tookOver + 50, `A swept after B took over (${aRuns?.last_success_at})`);
      const bRuns = b.store.loops.status().find((l) => l.loop === 'run-timers');
      assert.ok(bRuns?.last_success_at && Date.parse(bRuns.last_success_at) > tookOver);
      assert.deepEqual(a.store.loops.failing(), []);
      assert.deepEqual(b.store.loops.failing(), []);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
