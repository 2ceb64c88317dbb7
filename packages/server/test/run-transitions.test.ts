/**
 * The run state machine's table (runs/run-transitions.ts) and the set-wise SQL it drives.
 * The random interleavings are in run-state-machine.property.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventType, RUN_STATUSES, TERMINAL_STATUSES, type RunStatus } from '@agentd/protocol';
import { RUN_TRANSITIONS, type RunTransitionName, type RunTransitionSpec } from '../src/runs/index.ts';
import type { DialectQueries, StatusChange } from '../src/store/dialect-queries.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

const table = Object.entries(RUN_TRANSITIONS) as [RunTransitionName, RunTransitionSpec][];
const RUN_EVENTS = new Set<string>(Object.values(EventType).filter((t) => t.startsWith('run.')));

describe('the run transition table', () => {
  it('terminal statuses absorb: no transition starts from one', () => {
    for (const [name, spec] of table) for (const s of spec.from) assert.ok(!TERMINAL_STATUSES.has(s), `${name} starts from terminal ${s}`);
  });

  it('every transition that changes the status records a run event, and every transition into a terminal status settles approvals and ends the attempt', () => {
    for (const [name, spec] of table) {
      if (spec.to === null) {
        assert.equal(spec.event, null, `${name} changes no status and records no event`);
        continue;
      }
      assert.ok(RUN_STATUSES.includes(spec.to), `${name} ends in a status`);
      assert.ok(spec.event !== null && RUN_EVENTS.has(spec.event), `${name} records a run event`);
      if (TERMINAL_STATUSES.has(spec.to)) {
        assert.notEqual(spec.settlesApprovals, null, `${name} ends the run and must settle its approvals`);
        assert.ok(spec.attempt !== null && 'ends' in spec.attempt, `${name} ends the run and must end its attempt`);
      }
    }
  });

  it('every status is reached from creation, and every live one can still end', () => {
    const reached = new Set<RunStatus>([RUN_TRANSITIONS.create.to]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [, spec] of table) {
        if (spec.to && !reached.has(spec.to) && spec.from.some((s) => reached.has(s))) {
          reached.add(spec.to);
          grew = true;
        }
      }
    }
    assert.deepEqual([...reached].sort(), [...RUN_STATUSES].sort());
    for (const s of RUN_STATUSES.filter((x) => !TERMINAL_STATUSES.has(x))) {
      assert.ok(table.some(([, spec]) => spec.from.includes(s) && spec.to !== null && TERMINAL_STATUSES.has(spec.to)), `a ${s} run can end`);
    }
  });

  it('a run created behind an approval is create then hold, a legal composition', () => {
    assert.ok(RUN_TRANSITIONS.hold.from.includes(RUN_TRANSITIONS.create.to));
    assert.deepEqual(RUN_TRANSITIONS.create.from, []);
  });
});

for (const d of await dialects()) {
  describe(`the run state machine on ${d.name}`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 8, 1));
    const changes: { query: string; change: StatusChange }[] = [];

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      await t.engine.agents.deploy('default', HELLO_MANIFEST);
      // The store's queries are one object, shared with every write operation (ctx.queries).
      const queries: DialectQueries = t.store.queries;
      const { leaseRuns, succeedRuns } = queries;
      queries.leaseRuns = (trx, lease) => {
        changes.push({ query: 'leaseRuns', change: { from: lease.from, to: lease.to, attemptOutcome: lease.attemptOutcome } });
        return leaseRuns(trx, lease);
      };
      queries.succeedRuns = (trx, success) => {
        changes.push({ query: 'succeedRuns', change: { from: success.from, to: success.to, attemptOutcome: success.attemptOutcome } });
        return succeedRuns(trx, success);
      };
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const events = async (runId: string) =>
      (await t.store.db.selectFrom('run_events').select(['type', 'data']).where('tenant_id', '=', 'default').where('run_id', '=', runId).orderBy('seq').execute()).map((e) => ({ type: e.type, data: JSON.parse(e.data) }));

    it("the set-wise lease and batched completion get their statuses, attempt outcomes and events from the table", async () => {
      const e = t.engine;
      const runs = await e.runs.createBatch('default', [0, 1, 2].map((i) => ({ agent: 'hello', endpoint: 'greet', input: { name: `n${i}` } })));
      changes.length = 0;
      const tasks = await e.leases.leaseOnce({ tenantId: 'default', agent: 'hello', maxTasks: 3, waitMs: 0, workerId: 'w', leaseTtlMs: 30_000 });
      assert.equal(tasks.length, 3);
      const results = await e.leases.completeBatch('default', tasks.map((task) => ({ lease_id: task.lease_id, output: { greeting: 'hi' } })));
      assert.ok(results.every((r) => r.ok));
      const { lease, complete } = RUN_TRANSITIONS;
      assert.deepEqual(changes, [
        { query: 'leaseRuns', change: { from: lease.from, to: lease.to, attemptOutcome: lease.attempt.begins } },
        { query: 'succeedRuns', change: { from: complete.from, to: complete.to, attemptOutcome: complete.attempt.ends } },
      ]);
      for (const run of runs) {
        assert.deepEqual((await events(run.id)).map((x) => x.type), [RUN_TRANSITIONS.create.event, lease.event, complete.event]);
        const attempts = await e.runs.attempts('default', run.id);
        assert.deepEqual(attempts.map((a) => a.outcome), [complete.attempt.ends]);
      }
    });

    it("an approval that fails its run on expiry cancels the run's other pending approvals first: nothing is recorded after the terminal event", async () => {
      const e = t.engine;
      const run = await e.runs.create('default', { agent: 'hello', endpoint: 'greet', input: { name: 'x' } });
      const [task] = await e.leases.leaseOnce({ tenantId: 'default', agent: 'hello', maxTasks: 1, waitMs: 0, workerId: 'w', leaseTtlMs: 60_000 });
      const spec = { payload: null, prompt: 'ok?', timeout_ms: 10_000, assignees: [], required_approvals: 1 };
      const first = await e.approvals.requestForLease('default', task.lease_id, { ...spec, key: 'k0', on_timeout: 'fail_run' });
      clock.advance(1);
      const second = await e.approvals.requestForLease('default', task.lease_id, { ...spec, key: 'k1', on_timeout: 'reject' });
      clock.advance(31_000);
      const due = await e.approvals.dueForExpiry(clock.now(), 100);
      assert.equal(await e.store.writer.write((ctx) => e.approvals.expireIn(ctx, due)), 1, 'the second was cancelled before its turn came');
      const log = await events(run.id);
      assert.deepEqual(log.map((x) => x.type), ['run.queued', 'run.started', 'approval.requested', 'run.waiting', 'approval.requested', 'approval.expired', 'approval.decided', 'run.failed']);
      assert.equal(log[6].data.approval_id, second.id);
      assert.equal((await e.approvals.get('default', first.id)).status, 'expired');
      assert.equal((await e.approvals.get('default', second.id)).status, 'cancelled');
      assert.equal((await e.runs.get('default', run.id)).status, 'failed');
    });
  });
}
