/**
 * Schedules through the HTTP API on both databases: create under a client-chosen id (a replay
 * answers the same schedule, another definition 409), validation with field paths, list/get with
 * the next five fire times, update, pause/resume, run now, delete, and the schedule's runs. The
 * clock is a ManualClock: no test waits for a slot.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

const START = Date.UTC(2026, 0, 5, 8, 0, 0); // a Monday, 09:00 in Berlin
const body = (id: string, extra: Record<string, unknown> = {}) => ({ id, cron: '0 9 * * *', timezone: 'Europe/Berlin', target: { agent: 'hello', endpoint: 'greet' }, input: { name: 'cron' }, ...extra });

for (const d of await dialects()) {
  describe(`schedules API (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(START + 30_000);
    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('creates under the client id (201); the same id and body again answers 200 with the same schedule; another body is 409', async () => {
      const first = await t.call('POST', '/v1/schedules', { body: body('daily') });
      assert.equal(first.statusCode, 201, first.body);
      const s = first.json();
      assert.equal(s.id, 'daily');
      assert.equal(s.overlap_policy, 'skip');
      assert.equal(s.missed_policy, 'skip');
      assert.equal(s.paused, false);
      assert.deepEqual(s.next_fire_times, ['2026-01-06T08:00:00.000Z', '2026-01-07T08:00:00.000Z', '2026-01-08T08:00:00.000Z', '2026-01-09T08:00:00.000Z', '2026-01-10T08:00:00.000Z']);
      // Keys in another order, defaults spelt out: the same definition.
      const again = await t.call('POST', '/v1/schedules', { body: { ...body('daily'), input: { name: 'cron' }, overlap_policy: 'skip', missed_policy: 'skip' } });
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(again.json(), s);
      const other = await t.call('POST', '/v1/schedules', { body: body('daily', { input: { name: 'other' } }) });
      assert.equal(other.statusCode, 409, other.body);
      assert.equal(other.json().error.code, 'SCHEDULE_CONFLICT');
      assert.deepEqual(other.json().error.details.differs, ['input']);
      assert.deepEqual((await t.call('GET', '/v1/schedules/daily')).json().input, { name: 'cron' }, 'the 409 changed nothing');
    });

    it('with an Idempotency-Key, a retry replays the first answer (201) and a reused key with another body is 422', async () => {
      const key = 'idem-sched-1';
      const a = await t.call('POST', '/v1/schedules', { body: body('keyed'), headers: { 'idempotency-key': key } });
      const b = await t.call('POST', '/v1/schedules', { body: body('keyed'), headers: { 'idempotency-key': key } });
      assert.equal(a.statusCode, 201);
      assert.equal(b.statusCode, 201);
      assert.equal(b.headers['idempotent-replayed'], 'true');
      assert.equal(b.body, a.body);
      const c = await t.call('POST', '/v1/schedules', { body: body('keyed', { cron: '0 10 * * *' }), headers: { 'idempotency-key': key } });
      assert.equal(c.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('refuses a bad cron or time zone with 422 SCHEDULE_INVALID naming the field, and a workflow target that does not exist with 404', async () => {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ cron: '61 * * * *' }, 'body.cron', /minute/],
        [{ cron: 'every day' }, 'body.cron', /5 to 7 cron fields/],
        [{ cron: '2030-01-01T00:00:00' }, 'body.cron', /cron fields/],
        [{ cron: '0 0 0 1 1 * 2020' }, 'body.cron', /never fires/],
        [{ timezone: 'Mars/Olympus' }, 'body.timezone', /time zone/],
      ];
      for (const [extra, path, message] of cases) {
        const r = await t.call('POST', '/v1/schedules', { body: body('bad', extra) });
        assert.equal(r.statusCode, 422, `${JSON.stringify(extra)}: ${r.body}`);
        assert.equal(r.json().error.code, 'SCHEDULE_INVALID');
        assert.equal(r.json().error.details[0].path, path);
        assert.match(r.json().error.details[0].message, message);
      }
      const wf = await t.call('POST', '/v1/schedules', { body: { ...body('wf'), target: { workflow: 'nightly' } } });
      assert.equal(wf.statusCode, 404, wf.body);
      assert.equal(wf.json().error.code, 'WORKFLOW_NOT_FOUND');
      assert.equal(wf.json().error.details[0].path, 'body.target.workflow');
      assert.equal((await t.call('POST', '/v1/schedules', { body: { ...body('wf'), target: { workflow: 'nightly', agent: 'hello' } } })).statusCode, 400, 'one kind of target');
      assert.equal((await t.call('GET', '/v1/schedules/bad')).statusCode, 404, 'nothing was created');
    });

    it('checks the target and input as creating a run does', async () => {
      const agent = await t.call('POST', '/v1/schedules', { body: body('t1', { target: { agent: 'nope', endpoint: 'greet' } }) });
      assert.equal(agent.statusCode, 404);
      assert.equal(agent.json().error.code, 'AGENT_NOT_FOUND');
      assert.equal(agent.json().error.details[0].path, 'body.target.agent');
      const endpoint = await t.call('POST', '/v1/schedules', { body: body('t2', { target: { agent: 'hello', endpoint: 'nope' } }) });
      assert.equal(endpoint.json().error.code, 'ENDPOINT_NOT_FOUND');
      const input = await t.call('POST', '/v1/schedules', { body: body('t3', { input: { name: 5 } }) });
      assert.equal(input.statusCode, 422);
      assert.equal(input.json().error.code, 'INPUT_INVALID');
      assert.equal(input.json().error.details[0].path, 'body.input.name');
      const field = await t.call('POST', '/v1/schedules', { body: body('t4', { overlap_policy: 'sometimes' }) });
      assert.equal(field.statusCode, 400);
    });

    it('lists newest first with keyset pages, and gets one', async () => {
      for (const id of ['l1', 'l2', 'l3']) {
        clock.advance(1);
        assert.equal((await t.call('POST', '/v1/schedules', { body: body(id, { cron: '*/5 * * * *', timezone: 'UTC' }) })).statusCode, 201);
      }
      const p1 = (await t.call('GET', '/v1/schedules?limit=2')).json();
      assert.deepEqual(p1.data.map((s: { id: string }) => s.id), ['l3', 'l2']);
      const p2 = (await t.call('GET', `/v1/schedules?limit=2&cursor=${encodeURIComponent(p1.next_cursor)}`)).json();
      assert.equal(p2.data[0].id, 'l1');
      const g = (await t.call('GET', '/v1/schedules/l1')).json();
      assert.equal(g.next_fire_times.length, 5);
      assert.equal(new Date(g.next_fire_times[1]).getTime() - new Date(g.next_fire_times[0]).getTime(), 5 * 60_000);
      assert.equal((await t.call('GET', '/v1/schedules/none')).json().error.code, 'SCHEDULE_NOT_FOUND');
    });

    it('updates: a new cron starts from now; only the fields named are checked', async () => {
      const r = await t.call('PATCH', '/v1/schedules/l1', { body: { cron: '0 12 * * *', input: { name: 'noon' } } });
      assert.equal(r.statusCode, 200, r.body);
      const s = r.json();
      assert.equal(s.cron, '0 12 * * *');
      assert.equal(s.revision, 2);
      assert.equal(s.next_fire_times[0], '2026-01-05T12:00:00.000Z');
      assert.equal((await t.call('PATCH', '/v1/schedules/l1', { body: {} })).statusCode, 400, 'an empty patch is refused');
      assert.equal((await t.call('PATCH', '/v1/schedules/l1', { body: { timezone: 'Nowhere/Land' } })).json().error.code, 'SCHEDULE_INVALID');
      assert.equal((await t.call('PATCH', '/v1/schedules/l1', { body: { target: { workflow: 'x' } } })).json().error.code, 'WORKFLOW_NOT_FOUND');
      assert.equal((await t.call('PATCH', '/v1/schedules/nope', { body: { paused: true } })).statusCode, 404);
    });

    it('targets a workflow: its input checked against the workflow\'s schema; run now and a due slot each start one workflow run', async () => {
      const wf = await t.call('POST', '/v1/workflows', {
        body: { apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name: 'greeter' }, spec: { input: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'] }, steps: [{ id: 'greet', agent: 'hello', endpoint: 'greet', input: { name: '{% input.who %}' } }] } },
      });
      assert.equal(wf.statusCode, 201, wf.body);
      const target = { workflow: 'greeter' };
      const bad = await t.call('POST', '/v1/schedules', { body: body('wf-bad', { target, input: { name: 'no who' } }) });
      assert.equal(bad.statusCode, 422, bad.body);
      assert.equal(bad.json().error.code, 'INPUT_INVALID');
      assert.match(bad.json().error.details[0].path, /^body\.input/);
      const created = await t.call('POST', '/v1/schedules', { body: { id: 'wf-minutely', cron: '* * * * *', target, input: { who: 'cron' }, overlap_policy: 'allow' } });
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json().target, target);
      // Two more due in the same slot, one of an agent: the ticker starts agent targets together, workflow ones one by one.
      assert.equal((await t.call('POST', '/v1/schedules', { body: { id: 'wf-minutely-2', cron: '* * * * *', target, input: { who: 'two' } } })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/schedules', { body: { id: 'agent-minutely', cron: '* * * * *', target: { agent: 'hello', endpoint: 'greet' }, input: { name: 'a' } } })).statusCode, 201);
      const now = await t.call('POST', '/v1/schedules/wf-minutely/run');
      assert.ok(now.statusCode < 300, now.body);
      const manual = now.json();
      assert.deepEqual([manual.kind, manual.agent, manual.input, manual.metadata.schedule.id, manual.metadata.schedule.trigger], ['workflow', 'greeter', { who: 'cron' }, 'wf-minutely', 'manual']);
      // The next minute's slot, fired by the ticker (the run-now run is still live: overlap allow):
      // one workflow run for it, however often it ticks.
      const next = Date.parse(created.json().next_fire_times[0]);
      const was = clock.now();
      clock.set(next + 10);
      await t.engine.scheduleTicker.tickOnce();
      await t.engine.scheduleTicker.tickOnce();
      const runs = (await t.call('GET', '/v1/schedules/wf-minutely/runs')).json().data as { slot: string; outcome: string; run_id: string; trigger: string }[];
      const cron = runs.filter((r) => r.trigger !== 'manual');
      assert.equal(cron.length, 1, JSON.stringify(runs));
      assert.deepEqual([cron[0].slot, cron[0].outcome], [new Date(next).toISOString(), 'started']);
      const fired = (await t.call('GET', `/v1/runs/${cron[0].run_id}`)).json();
      assert.deepEqual([fired.kind, fired.agent, fired.input], ['workflow', 'greeter', { who: 'cron' }]);
      for (const [id, kind] of [['wf-minutely-2', 'workflow'], ['agent-minutely', 'agent']]) {
        const slots = (await t.call('GET', `/v1/schedules/${id}/runs`)).json().data as { outcome: string; run_id: string }[];
        assert.deepEqual(slots.map((x) => x.outcome), ['started'], id);
        assert.equal((await t.call('GET', `/v1/runs/${slots[0].run_id}`)).json().kind, kind, id);
        await t.call('DELETE', `/v1/schedules/${id}`);
      }
      await t.call('DELETE', '/v1/schedules/wf-minutely');
      clock.set(was);
    });

    it('pauses (no next fire times) and resumes; both are idempotent', async () => {
      const p = await t.call('POST', '/v1/schedules/l2/pause');
      assert.equal(p.statusCode, 200, p.body);
      assert.equal(p.json().paused, true);
      assert.deepEqual(p.json().next_fire_times, []);
      const p2 = await t.call('POST', '/v1/schedules/l2/pause', { body: {} });
      assert.equal(p2.json().revision, p.json().revision, 'pausing a paused schedule changes nothing');
      const row = await t.store.db.selectFrom('schedules').select(['next_fire_at']).where('tenant_id', '=', t.tenantId).where('id', '=', 'l2').executeTakeFirstOrThrow();
      assert.equal(row.next_fire_at, null);
      const r = await t.call('POST', '/v1/schedules/l2/resume');
      assert.equal(r.json().paused, false);
      assert.equal(r.json().next_fire_times.length, 5);
    });

    it('runs now: one run with the schedule in its metadata, listed among the schedule runs', async () => {
      const r = await t.call('POST', '/v1/schedules/daily/run');
      assert.equal(r.statusCode, 201, r.body);
      const run = r.json();
      assert.equal(run.status, 'queued');
      assert.deepEqual(run.input, { name: 'cron' });
      assert.deepEqual(run.metadata, { schedule: { id: 'daily', slot: new Date(clock.now()).toISOString(), trigger: 'manual' } });
      clock.advance(5);
      const paused = await t.call('POST', '/v1/schedules/l2/pause');
      assert.equal(paused.statusCode, 200);
      assert.equal((await t.call('POST', '/v1/schedules/l2/run')).statusCode, 201, 'a paused schedule still runs when asked');
      const list = (await t.call('GET', '/v1/schedules/daily/runs')).json();
      assert.equal(list.data.length, 1);
      assert.deepEqual({ ...list.data[0], recorded_at: undefined }, { schedule_id: 'daily', slot: run.metadata.schedule.slot, trigger: 'manual', outcome: 'started', detail: null, run_id: run.id, run_status: 'queued', recorded_at: undefined });
      assert.equal((await t.call('GET', '/v1/schedules/daily')).json().last_run_id, run.id);
      assert.equal((await t.call('POST', '/v1/schedules/nope/run')).json().error.code, 'SCHEDULE_NOT_FOUND');
    });

    it('deletes a schedule and its slot records; its runs stay', async () => {
      const runs = (await t.call('GET', '/v1/schedules/daily/runs')).json().data;
      const del = await t.call('DELETE', '/v1/schedules/daily');
      assert.deepEqual(del.json(), { id: 'daily', deleted: true });
      assert.equal((await t.call('GET', '/v1/schedules/daily')).statusCode, 404);
      assert.equal((await t.call('GET', `/v1/runs/${runs[0].run_id}`)).statusCode, 200);
      const slots = await t.store.db.selectFrom('schedule_slots').selectAll().where('tenant_id', '=', t.tenantId).where('schedule_id', '=', 'daily').execute();
      assert.deepEqual(slots, []);
      assert.equal((await t.call('DELETE', '/v1/schedules/daily')).statusCode, 404);
    });

    it('keeps tenants apart and lets only admin and developer keys change schedules', async () => {
      const other = await t.engine.tenants.create({ name: 'Other' });
      const otherAdmin = await t.keyFor('admin', other.id);
      assert.equal((await t.call('GET', '/v1/schedules/l1', { key: otherAdmin })).statusCode, 404);
      assert.deepEqual((await t.call('GET', '/v1/schedules', { key: otherAdmin })).json().data, []);
      const viewer = await t.keyFor('viewer');
      assert.equal((await t.call('GET', '/v1/schedules/l1', { key: viewer })).statusCode, 200);
      assert.equal((await t.call('POST', '/v1/schedules/l1/pause', { key: viewer })).statusCode, 403);
      const operator = await t.keyFor('operator');
      assert.equal((await t.call('POST', '/v1/schedules/l1/run', { key: operator })).statusCode, 403);
      const developer = await t.keyFor('developer');
      assert.equal((await t.call('POST', '/v1/schedules/l1/pause', { key: developer })).statusCode, 200);
    });
  });
}
