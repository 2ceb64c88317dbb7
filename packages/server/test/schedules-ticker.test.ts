/**
 * The schedule tick on both databases, with an injected clock (no test waits for a slot): a slot
 * fires once, on time, with its slot in the run's metadata; the overlap policies (skip, allow,
 * buffer_one); the missed policies after a node was down across ticks (skip, run_once, run_all
 * and its cap); the slot table's primary key refusing a second run for a slot; a pause that
 * commits while a tick is under way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';
import { createEngine } from '../src/engine.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { MISSED_RUN_ALL_LIMIT, ScheduleFiring } from '../src/schedules/index.ts';

const T0 = Date.UTC(2026, 1, 2, 0, 0, 30); // 00:00:30 UTC
const MIN = 60_000;

for (const d of await dialects()) {
  describe(`schedule ticks (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(T0);
    let n = 0;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    /** A fresh schedule (its own id and input name), created at the clock's time. */
    const create = async (extra: Record<string, unknown> = {}) => {
      const id = `s${++n}`;
      const r = await t.call('POST', '/v1/schedules', { body: { id, cron: '* * * * *', timezone: 'UTC', target: { agent: 'hello', endpoint: 'greet' }, input: { name: id }, ...extra } });
      assert.equal(r.statusCode, 201, r.body);
      return id;
    };
    const runsOf = async (id: string) => {
      const rows = await t.store.db.selectFrom('runs').select(['id', 'status', 'metadata']).where('tenant_id', '=', t.tenantId).execute();
      return rows
        .map((r) => ({ id: r.id, status: r.status, schedule: (JSON.parse(r.metadata) as { schedule?: { id: string; slot: string; trigger: string } }).schedule }))
        .filter((r) => r.schedule?.id === id)
        .sort((a, b) => a.schedule!.slot.localeCompare(b.schedule!.slot));
    };
    const fires = async (id: string) => (await t.call('GET', `/v1/schedules/${id}/runs?limit=500`)).json().data as { slot: string; trigger: string; outcome: string; detail: string | null; run_id: string | null }[];
    const at = (ms: number) => new Date(ms).toISOString();
    /** Moves the clock to `ms` past the minute `minute` after T0's minute, then ticks. */
    const tickAt = async (minute: number, ms = 200) => {
      clock.set(T0 - 30_000 + minute * MIN + ms);
      return t.engine.scheduleTicker.tickOnce();
    };
    const cancel = (runId: string) => t.engine.runs.cancel(t.tenantId, runId, { reason: 'test' });
    const cleanUp = async () => {
      // Schedules of earlier tests are paused, so each test counts only its own slots.
      for (const s of (await t.call('GET', '/v1/schedules?limit=500')).json().data) if (!s.paused) await t.call('POST', `/v1/schedules/${s.id}/pause`);
      for (const r of await t.store.db.selectFrom('runs').select('id').where('tenant_id', '=', t.tenantId).where('status', 'in', ['queued', 'running', 'waiting']).execute()) await cancel(r.id);
    };

    it('fires a due slot once, on time, with the schedule and slot in the run metadata', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create();
      clock.set(T0 + 29_000); // 00:00:59
      assert.equal((await t.engine.scheduleTicker.tickOnce()).started, 0);
      const r = await tickAt(1);
      assert.equal(r.started, 1);
      assert.equal(r.nextDueAt, T0 + 90_000);
      assert.equal((await t.engine.scheduleTicker.tickOnce()).started, 0, 'the same slot is not fired twice');
      const runs = await runsOf(id);
      assert.equal(runs.length, 1);
      assert.deepEqual(runs[0].schedule, { id, slot: at(T0 + 30_000), trigger: 'cron' });
      const [fire] = await fires(id);
      assert.deepEqual({ slot: fire.slot, trigger: fire.trigger, outcome: fire.outcome, run_id: fire.run_id }, { slot: at(T0 + 30_000), trigger: 'cron', outcome: 'started', run_id: runs[0].id });
      const s = (await t.call('GET', `/v1/schedules/${id}`)).json();
      assert.equal(s.last_run_id, runs[0].id);
      assert.equal(s.next_fire_times[0], at(T0 + 90_000));
    });

    it('overlap skip: a slot whose previous run is live starts nothing and is recorded skipped', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ overlap_policy: 'skip' });
      await tickAt(1);
      const r = await tickAt(2);
      assert.equal(r.skipped, 1);
      const [latest] = await fires(id);
      assert.equal(latest.outcome, 'skipped');
      assert.match(latest.detail!, /previous run is still live/);
      assert.equal((await runsOf(id)).length, 1);
      await cancel((await runsOf(id))[0].id);
      assert.equal((await tickAt(3)).started, 1, 'once the run ended, the next slot starts one');
    });

    it('overlap allow: every slot starts a run', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ overlap_policy: 'allow' });
      for (const m of [1, 2, 3]) await tickAt(m);
      assert.equal((await runsOf(id)).filter((r) => r.status === 'queued').length, 3);
    });

    it('overlap buffer_one: one slot waits for the live run and starts when it ends; more are skipped', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ overlap_policy: 'buffer_one' });
      await tickAt(1);
      assert.equal((await tickAt(2)).buffered, 1);
      assert.equal((await tickAt(3)).skipped, 1);
      assert.equal((await t.call('GET', `/v1/schedules/${id}`)).json().buffered_slot, at(T0 + 90_000));
      assert.equal((await tickAt(3, 500)).started, 0, 'the buffered slot waits while the run is live');
      await cancel((await runsOf(id))[0].id);
      const r = await tickAt(3, 800);
      assert.equal(r.started, 1);
      const runs = await runsOf(id);
      assert.deepEqual(runs.map((x) => [x.schedule!.slot, x.schedule!.trigger]), [[at(T0 + 30_000), 'cron'], [at(T0 + 90_000), 'buffered']]);
      const list = await fires(id);
      assert.deepEqual(list.map((f) => [f.slot, f.outcome, f.trigger]), [[at(T0 + 150_000), 'skipped', 'cron'], [at(T0 + 90_000), 'started', 'buffered'], [at(T0 + 30_000), 'started', 'cron']]);
      assert.equal((await t.call('GET', `/v1/schedules/${id}`)).json().buffered_slot, null);
      assert.equal((await tickAt(3, 900)).started, 0, 'the buffered slot started once');
    });

    it('a pause drops a buffered slot; a paused schedule fires nothing; resuming starts from the next slot', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ overlap_policy: 'buffer_one' });
      await tickAt(1);
      await tickAt(2);
      await t.call('POST', `/v1/schedules/${id}/pause`);
      await cancel((await runsOf(id))[0].id);
      for (const m of [3, 4, 5]) assert.equal((await tickAt(m)).started, 0);
      const buffered = (await fires(id)).find((f) => f.slot === at(T0 + 90_000))!;
      assert.equal(buffered.outcome, 'skipped');
      assert.match(buffered.detail!, /paused/);
      await t.call('POST', `/v1/schedules/${id}/resume`);
      assert.equal((await tickAt(5, 900)).started, 0, 'the slots of the pause are not caught up');
      assert.equal((await tickAt(6)).started, 1);
      assert.deepEqual((await runsOf(id)).map((r) => r.schedule!.slot), [at(T0 + 30_000), at(T0 + 330_000)]);
    });

    /** A node down across ticks: the schedule's node fires minute 1, stops; another starts at `restartMinute` (+30 s). */
    const downtime = async (missed: string, restartMinute: number, extra: Record<string, unknown> = {}) => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ missed_policy: missed, overlap_policy: 'allow', ...extra });
      await tickAt(1);
      // The node restarts: a new store and engine on the same database (the old one is gone). On
      // SQLite the old store stays open beside it, idle: its background audit writes are let finish.
      await t.engine.audit.settled();
      clock.set(T0 - 30_000 + restartMinute * MIN + 30_000);
      const store = await db.open(() => clock.now());
      try {
        const engine = createEngine({ store, clock, keyring: Keyring.generate() });
        const result = await engine.scheduleTicker.tickOnce();
        return { id, result, runs: await runsOf(id) };
      } finally {
        await store.close();
      }
    };

    it('missed skip after downtime: the missed slots are dropped; the newest (30 s late, within the tolerance) fires', async () => {
      const { result, runs } = await downtime('skip', 10);
      assert.equal(result.started, 1);
      assert.ok(result.dropped >= 1);
      assert.deepEqual(runs.map((r) => [r.schedule!.slot, r.schedule!.trigger]), [[at(T0 + 30_000), 'cron'], [at(T0 + 570_000), 'cron']]);
    });

    it('missed run_once after downtime: the missed slots get one run (the latest of them), besides the on-time one', async () => {
      const { result, runs } = await downtime('run_once', 10);
      assert.equal(result.started, 2);
      assert.deepEqual(runs.map((r) => [r.schedule!.slot, r.schedule!.trigger]), [[at(T0 + 30_000), 'cron'], [at(T0 + 510_000), 'catch_up'], [at(T0 + 570_000), 'cron']]);
    });

    it('missed run_all after downtime: every missed slot runs, oldest first', async () => {
      const { result, runs } = await downtime('run_all', 10);
      assert.equal(result.started, 9);
      assert.deepEqual(runs.map((r) => r.schedule!.slot), Array.from({ length: 10 }, (_, i) => at(T0 + 30_000 + i * MIN)));
      assert.deepEqual(runs.slice(1, -1).map((r) => r.schedule!.trigger), Array(8).fill('catch_up'));
    });

    it(`missed run_all is capped: at most ${MISSED_RUN_ALL_LIMIT} missed slots run, the latest; older ones are dropped`, async () => {
      // Per-second slots; down for 10 minutes: 599 missed seconds and the on-time one.
      const { result, runs } = await downtime('run_all', 11, { cron: '* * * * * *' });
      const after = runs.filter((r) => Date.parse(r.schedule!.slot) > T0 + 30_000 + 1000);
      assert.equal(after.length, MISSED_RUN_ALL_LIMIT + 1);
      assert.equal(result.started, MISSED_RUN_ALL_LIMIT + 1);
      // The older missed seconds are never listed (a long downtime costs no walk over each): the count is a lower bound.
      assert.ok(result.dropped >= 1, `dropped ${result.dropped}`);
      const newest = T0 - 30_000 + 11 * MIN + 30_000;
      assert.equal(after[after.length - 1].schedule!.slot, at(newest));
      assert.equal(after[0].schedule!.slot, at(newest - MISSED_RUN_ALL_LIMIT * 1000));
    });

    it('a slot later than the tolerance is missed too: a daily slot during the downtime runs only under run_once or run_all', async () => {
      for (const missed of ['skip', 'run_once', 'run_all']) {
        // Every minute would not do: ask for 00:05 daily, restart at 00:20 (15 minutes late).
        const { result, runs } = await downtime(missed, 20, { cron: '5 0 * * *' });
        const late = runs.filter((r) => r.schedule!.slot === at(T0 - 30_000 + 5 * MIN));
        assert.equal(late.length, missed === 'skip' ? 0 : 1, missed);
        if (late[0]) assert.equal(late[0].schedule!.trigger, 'catch_up');
        assert.equal(result.started, late.length);
        const s = (await t.call('GET', `/v1/schedules/${runs[0]?.schedule?.id ?? `s${n}`}`)).json();
        assert.equal(s.next_fire_times[0], at(T0 - 30_000 + 24 * 60 * MIN + 5 * MIN), 'the cursor moved past the missed slot');
      }
    });

    it('the slot table refuses a second row for a slot: a second start of the same slot rolls its run back', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ overlap_policy: 'allow' });
      await tickAt(1);
      const before = await runsOf(id);
      const row = await t.store.db.selectFrom('schedule_slots').selectAll().where('tenant_id', '=', t.tenantId).where('schedule_id', '=', id).executeTakeFirstOrThrow();
      // The constraint itself: a plain INSERT of the same key fails.
      await assert.rejects(t.store.writer.write(({ trx }) => trx.insertInto('schedule_slots').values({ ...row, run_id: null, outcome: 'started' }).execute()), /unique|duplicate|constraint/i);
      // And through the firing path: another node starting the same slot gets SlotTaken, and its run is gone.
      const schedule = await t.store.db.selectFrom('schedules').selectAll().where('tenant_id', '=', t.tenantId).where('id', '=', id).executeTakeFirstOrThrow();
      const again = new ScheduleFiring(t.store, t.engine.runs, t.engine.workflowRuns);
      await assert.rejects(
        again.start({ tenantId: t.tenantId, scheduleId: id, slotAt: Number(row.slot_at), kind: 'cron', cause: 'cron', revision: Number(schedule.revision), target: { agent: 'hello', endpoint: 'greet' }, input: { name: id }, change: {} }),
        (err: Error) => err.name === 'SlotTaken',
      );
      assert.deepEqual(await runsOf(id), before);
      const count = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM runs WHERE tenant_id = ${t.tenantId}`.execute(t.store.allTenants(t.store.db));
      assert.ok(Number(count.rows[0].n) >= before.length);
    });

    it('a pause that commits while a tick holds the old schedule: the tick writes nothing for it', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ overlap_policy: 'allow' });
      const read = await t.store.db.selectFrom('schedules').selectAll().where('tenant_id', '=', t.tenantId).where('id', '=', id).executeTakeFirstOrThrow();
      await t.call('POST', `/v1/schedules/${id}/pause`);
      const firing = new ScheduleFiring(t.store, t.engine.runs, t.engine.workflowRuns);
      await assert.rejects(
        firing.start({ tenantId: t.tenantId, scheduleId: id, slotAt: Number(read.next_fire_at), kind: 'cron', cause: 'cron', revision: Number(read.revision), target: { agent: 'hello', endpoint: 'greet' }, input: { name: id }, change: { nextFireAt: null } }),
        (err: Error & { code?: string }) => err.name === 'ScheduleChanged' && err.code === 'SCHEDULE_CONFLICT',
      );
      assert.deepEqual(await runsOf(id), []);
      assert.deepEqual(await fires(id), []);
    });

    it('a slot whose run cannot be created is recorded as failed and the schedule moves on', async () => {
      await cleanUp();
      clock.set(T0);
      const id = await create({ overlap_policy: 'allow' });
      await t.call('POST', '/v1/agents/hello/endpoints/greet/disable');
      try {
        const r = await tickAt(1);
        assert.equal(r.failed, 1);
        const [f] = await fires(id);
        assert.equal(f.outcome, 'failed');
        assert.match(f.detail!, /^ENDPOINT_DISABLED/);
      } finally {
        await t.call('POST', '/v1/agents/hello/endpoints/greet/enable');
      }
      assert.equal((await tickAt(2)).started, 1);
    });

    it('schedules due together start in one batch; one the batch cannot start is handled alone and recorded failed, the others start', async () => {
      await cleanUp();
      clock.set(T0);
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'other' } } });
      const ids = [await create({ overlap_policy: 'allow' }), await create({ overlap_policy: 'allow' }), await create({ overlap_policy: 'allow', target: { agent: 'other', endpoint: 'greet' } })];
      const together = await tickAt(1);
      assert.equal(together.started, 3, 'three due schedules of one tenant start together');
      await t.call('POST', '/v1/agents/other/endpoints/greet/disable');
      try {
        const r = await tickAt(2);
        assert.deepEqual([r.started, r.failed], [2, 1]);
      } finally {
        await t.call('POST', '/v1/agents/other/endpoints/greet/enable');
      }
      assert.deepEqual((await Promise.all(ids.map(runsOf))).map((runs) => runs.length), [2, 2, 1]);
      assert.equal((await fires(ids[2]))[0].outcome, 'failed');
    });
  });
}
