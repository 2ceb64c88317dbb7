/**
 * Workflow wait steps on both databases: a duration and an until woken by the timers (the clock
 * moved by hand, the sweeper's pass run by the test), a signal sent before its wait began (kept,
 * consumed when the wait starts) and one sent while it waits (consumed in the signal's
 * transaction), a signal wait that times out (the workflow fails), and the run's waiting reasons.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';
import { deployPipelineAgents } from './helpers/workflow-fixtures.ts';

const flow = (name: string, steps: Record<string, unknown>[], output?: unknown) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Workflow',
  metadata: { name },
  spec: { ...(output === undefined ? {} : { output }), steps },
});

for (const d of await dialects()) {
  describe(`workflow wait steps (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 9));

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      await deployPipelineAgents(t);
      const defs = [
        flow('timed', [
          { id: 'research', agent: 'researcher', endpoint: 'research', input: {} },
          { id: 'hold', needs: ['research'], wait: { duration: '10m' } },
          { id: 'later', needs: ['hold'], wait: { until: '2026-06-01T12:00:00Z' } },
          { id: 'past', needs: ['later'], wait: { until: '2020-01-01T00:00:00Z' } },
        ]),
        flow('signalled', [
          { id: 'research', agent: 'researcher', endpoint: 'research', input: {} },
          { id: 'first', needs: ['research'], wait: { signal: 'go' } },
          { id: 'second', needs: ['first'], wait: { signal: 'go', timeout: '1h' } },
        ], { first: '{% steps.first.output %}', second: '{% steps.second.output %}' }),
        flow('timeout', [{ id: 'gate', wait: { signal: 'never', timeout: '5m' } }]),
      ];
      for (const def of defs) {
        const r = await t.call('POST', '/v1/workflows', { body: def });
        assert.equal(r.statusCode, 201, r.body);
      }
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const getRun = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const start = async (name: string) => {
      const r = await t.call('POST', `/v1/workflows/${name}/runs`, { body: { input: {} } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const signal = async (id: string, name: string, payload: unknown) => {
      const r = await t.call('POST', `/v1/runs/${id}/signals/${name}`, { body: payload });
      assert.equal(r.statusCode, 202, r.body);
    };
    const steps = async (id: string) =>
      Object.fromEntries((await t.store.db.selectFrom('workflow_steps').selectAll().where('tenant_id', '=', t.tenantId).where('run_id', '=', id).execute()).map((s) => [s.step_id, s.status]));

    it('a duration and an until are timers the sweeper wakes; a time already past passes at once', async () => {
      const run = await start('timed');
      const task = (await t.call('POST', '/v1/worker/lease', { body: { agent: 'researcher', wait_ms: 0 } })).json().tasks[0];
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: {} } })).statusCode, 200);
      let r = await getRun(run.id);
      assert.equal(r.status, 'waiting');
      assert.equal(r.waiting_reason, 'sleep');
      assert.equal((await t.engine.sweeper.sweepOnce()).workflowWakeups, 0, 'not due yet');
      clock.advance(10 * 60_000);
      assert.equal((await t.engine.sweeper.sweepOnce()).workflowWakeups, 1);
      assert.deepEqual(await steps(run.id), { research: 'succeeded', hold: 'succeeded', later: 'waiting' });
      clock.set(Date.UTC(2026, 5, 1, 12));
      assert.equal((await t.engine.sweeper.sweepOnce()).workflowWakeups, 1);
      r = await getRun(run.id);
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      assert.deepEqual(r.output, { past: { waited_until: '2020-01-01T00:00:00.000Z' } });
    });

    const finishResearch = async () => {
      const task = (await t.call('POST', '/v1/worker/lease', { body: { agent: 'researcher', wait_ms: 0 } })).json().tasks[0];
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: {} } })).statusCode, 200);
    };

    it('signals sent before their waits are kept, and each wait consumes the oldest when it starts', async () => {
      const run = await start('signalled');
      await signal(run.id, 'go', { n: 1 });
      // Signals are ordered by arrival time (then id): the second arrives a millisecond later.
      clock.advance(1);
      await signal(run.id, 'go', { n: 2 });
      assert.equal((await getRun(run.id)).status, 'running', 'the research step runs; no wait has begun');
      await finishResearch();
      const r = await getRun(run.id);
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      assert.deepEqual(r.output, { first: { n: 1 }, second: { n: 2 } });
      const again = await t.call('POST', `/v1/runs/${run.id}/signals/go`, { body: {} });
      assert.equal(again.statusCode, 409, 'the workflow run ended');
    });

    it('a signal sent while its wait waits resumes it in the signal\'s transaction', async () => {
      const run = await start('signalled');
      await finishResearch();
      let r = await getRun(run.id);
      assert.equal(r.status, 'waiting');
      assert.equal(r.waiting_reason, 'signal');
      await signal(run.id, 'go', { n: 'a' });
      assert.deepEqual(await steps(run.id), { research: 'succeeded', first: 'succeeded', second: 'waiting' });
      await signal(run.id, 'go', { n: 'b' });
      r = await getRun(run.id);
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      assert.deepEqual(r.output, { first: { n: 'a' }, second: { n: 'b' } });
    });

    it('a signal wait past its timeout fails the step and the workflow', async () => {
      const run = await start('timeout');
      clock.advance(5 * 60_000);
      assert.equal((await t.engine.sweeper.sweepOnce()).workflowWakeups, 1);
      const r = await getRun(run.id);
      assert.equal(r.status, 'failed');
      assert.equal(r.error.details.step, 'gate');
      assert.equal(r.error.details.error.type, 'signal_timeout');
    });
  });
}
