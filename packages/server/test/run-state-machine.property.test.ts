import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TERMINAL_STATUSES, type RunStatus } from '@agentd/protocol';
import { openAttempt, RUN_TRANSITIONS, type RunTransitionName, type RunTransitionSpec } from '../src/runs/index.ts';
import { DomainError } from '../src/core/index.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { FaultInjector, isInjected } from './helpers/fault-injector.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

/**
 * One step of a random interleaving; `pick` chooses among the runs, leases or approvals seen so
 * far. `fault` arms the fault injector: the n-th write-path statement from then on throws (an
 * error, or a domain error as a service throws on purpose), inside whichever operation (or batch
 * event insert) it falls.
 */
type Op =
  | { kind: 'create'; endpoint: 'go' | 'gated' | 'lazy' }
  | { kind: 'lease'; max: number }
  | { kind: 'heartbeat' | 'complete' | 'fail' | 'failFinal' | 'release' | 'askApproval'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'approve' | 'reject'; pick: number; voter: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'expire' }
  | { kind: 'sweep' }
  | { kind: 'fault'; after: number; domain: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('go', 'go', 'gated', 'lazy').map((endpoint): Op => ({ kind: 'create', endpoint })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((max): Op => ({ kind: 'lease', max })) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('heartbeat', 'complete', 'fail', 'failFinal', 'release', 'askApproval'), pick: fc.nat() }) as fc.Arbitrary<Op> },
  { weight: 1, arbitrary: fc.nat().map((pick): Op => ({ kind: 'cancel', pick })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('approve', 'reject'), pick: fc.nat(), voter: fc.integer({ min: 0, max: 1 }) }) as fc.Arbitrary<Op> },
  { weight: 2, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((ms): Op => ({ kind: 'advance', ms })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'expire' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'sweep' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fault'), after: fc.integer({ min: 1, max: 8 }), domain: fc.boolean() }) as fc.Arbitrary<Op> },
);

const RETRY = { max_attempts: 3, initial_interval: '1s', max_interval: '4s', jitter: 0.3 };
const MANIFEST = {
  ...HELLO_MANIFEST,
  metadata: { name: 'prop' },
  spec: {
    runtime: 'worker',
    endpoints: {
      go: { timeout: '15s', retry: RETRY },
      gated: { timeout: '15s', retry: RETRY, approval: { prompt: 'go?', timeout: '30s', on_timeout: 'reject' } },
      lazy: { timeout: '15s', retry: RETRY, approval: { prompt: 'go?', timeout: '30s', on_timeout: 'approve' } },
    },
  },
};
const VOTERS = [
  { id: 'key_a', name: 'ada' },
  { id: 'key_b', name: 'bo' },
];

for (const d of await dialects()) {
  describe(`run state machine, property-based (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 8, 1));
    const faults = new FaultInjector();

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock, store: { writerPlugins: [faults] } });
      await t.engine.agents.deploy('default', MANIFEST);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('every change is a transition of the table, terminal states absorb, attempts only grow, at most one live lease, events are gap-free, every run ends terminal or waiting, with approvals and injected store failures', async (tc) => {
      const e = t.engine;
      let failedOps = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
          const runs: string[] = [];
          const leases: string[] = [];
          const approvals: string[] = [];
          const seenTerminal = new Map<string, RunStatus>();
          const seenAttempts = new Map<string, number>();
          // Refusals and injected failures are outcomes; anything else (a 500 of a bug) fails the property.
          const ignore = (err: unknown) => {
            if (isInjected(err)) failedOps++;
            else if (!(err instanceof DomainError)) throw err;
          };
          faults.disarm();
          for (const op of ops) {
            const lease = leases.length ? leases[(op as { pick: number }).pick % leases.length] : undefined;
            const approval = approvals.length ? approvals[(op as { pick: number }).pick % approvals.length] : undefined;
            switch (op.kind) {
              case 'create':
                await e.runs.create('default', { agent: 'prop', endpoint: op.endpoint, input: {} }).then(async (run) => {
                  runs.push(run.id);
                  const pending = await t.store.allTenants(t.store.db).selectFrom('approvals').select('id').where('run_id', '=', run.id).execute();
                  approvals.push(...pending.map((a) => a.id));
                }, ignore);
                break;
              case 'lease':
                await e.leases.leaseOnce({ tenantId: 'default', agent: 'prop', maxTasks: op.max, waitMs: 0, workerId: 'w', leaseTtlMs: 5000 }).then((tasks) => {
                  for (const task of tasks) leases.push(task.lease_id);
                }, ignore);
                break;
              case 'askApproval':
                if (lease) {
                  await e.approvals
                    .requestForLease('default', lease, { key: `k${op.pick % 2}`, payload: null, prompt: 'ok?', timeout_ms: 10_000, on_timeout: op.pick % 3 === 0 ? 'fail_run' : 'reject', assignees: [], required_approvals: 1 })
                    .then((a) => {
                      if (!approvals.includes(a.id)) approvals.push(a.id);
                    }, ignore);
                }
                break;
              case 'approve':
              case 'reject':
                if (approval) await e.approvals.decide('default', approval, VOTERS[op.voter], op.kind, { reason: op.kind === 'reject' ? 'no' : null }).catch(ignore);
                break;
              case 'expire':
                clock.advance(31_000);
                await e.approvals
                  .dueForExpiry(clock.now(), 100)
                  .then((due) => e.store.writer.write((ctx) => e.approvals.expireIn(ctx, due)))
                  .catch(ignore);
                break;
              case 'fault':
                faults.failAfter(op.after, { domain: op.domain });
                break;
              case 'heartbeat':
                if (lease) await e.leases.heartbeat('default', lease).catch(ignore);
                break;
              case 'complete':
                if (lease) await e.leases.complete('default', lease, { ok: true }).then((run) => assertEndedIn(run.status, 'complete'), ignore);
                break;
              case 'fail':
              case 'failFinal':
                if (lease) await e.leases.fail('default', lease, { type: 'x', message: 'y', non_retryable: op.kind === 'failFinal', details: null }).catch(ignore);
                break;
              case 'release':
                if (lease) await e.leases.release('default', lease).then((run) => assertEndedIn(run.status, 'release'), ignore);
                break;
              case 'cancel':
                if (runs.length) await e.runs.cancel('default', runs[op.pick % runs.length]).then((run) => assertEndedIn(run.status, 'cancel'), ignore);
                break;
              case 'advance':
                clock.advance(op.ms);
                break;
              case 'sweep':
                await e.sweeper.sweepOnce().catch(ignore);
                break;
            }
            await checkInvariants(t, runs, seenTerminal, seenAttempts);
          }
          faults.disarm();
          // TESTPLAN 16: every acknowledged run ends terminal or waiting once workers and timers do their part.
          await drain(t, clock, runs);
          await checkInvariants(t, runs, seenTerminal, seenAttempts);
          const rows = await t.store.allTenants(t.store.db).selectFrom('runs').select(['id', 'status']).where('id', 'in', runs.length ? runs : ['-']).execute();
          for (const r of rows) assert.ok(TERMINAL_STATUSES.has(r.status as RunStatus) || r.status === 'waiting', `run ${r.id} is left ${r.status}`);
        }),
        { numRuns: d.name === 'sqlite' ? 60 : 25, seed: Number(process.env.FC_SEED ?? Date.now() % 1_000_000), verbose: 1 },
      );
      tc.diagnostic(`${d.name}: ${faults.faults} injected store failures, ${failedOps} operations failed by them`);
      assert.ok(faults.faults > 0, 'failures were injected');
    });
  });
}

/** An acknowledged fenced operation left the run where its transition of the table goes. */
function assertEndedIn(status: string, name: RunTransitionName): void {
  assert.equal(status, RUN_TRANSITIONS[name].to, `an acknowledged ${name} leaves the run ${RUN_TRANSITIONS[name].to}, not ${status}`);
}

const TRANSITIONS = Object.entries(RUN_TRANSITIONS) as [RunTransitionName, RunTransitionSpec][];
const TRANSITION_EVENTS = new Set(TRANSITIONS.map(([, spec]) => spec.event).filter((e) => e !== null));

/**
 * Replays a run's log through the table: each state event must be the event of a transition that
 * may start from a status the run can be in (`create` only from nothing), and the statuses it can
 * be in afterwards are those transitions' ends. Answers them; the row's status must be one.
 */
function replay(runId: string, types: string[]): Set<string> {
  let states = new Set<string>();
  for (const [i, type] of types.entries()) {
    if (!TRANSITION_EVENTS.has(type as never)) continue;
    const legal = TRANSITIONS.filter(([, spec]) => spec.event === type && (spec.from.length === 0 ? i === 0 : spec.from.some((s) => states.has(s))));
    assert.ok(legal.length > 0, `run ${runId}: event ${i + 1} ${type} is no transition of the table from ${[...states].join(', ') || 'nothing'} (log: ${types.join(', ')})`);
    states = new Set(legal.map(([, spec]) => spec.to!));
  }
  return states;
}

/** Workers and timers do their part until no run is left queued or running (a bounded number of rounds). */
async function drain(t: TestApp, clock: ManualClock, runs: string[]): Promise<void> {
  const e = t.engine;
  for (let round = 0; round < 12 && runs.length > 0; round++) {
    const live = await t.store.allTenants(t.store.db).selectFrom('runs').select('id').where('id', 'in', runs).where('status', 'in', ['queued', 'running']).execute();
    if (live.length === 0) return;
    // Past every lease, backoff, attempt timeout and approval expiry of the manifest above.
    clock.advance(60_000);
    await e.sweeper.sweepOnce();
    for (const task of await e.leases.leaseOnce({ tenantId: 'default', agent: 'prop', maxTasks: 50, waitMs: 0, workerId: 'drain', leaseTtlMs: 5000 })) {
      await e.leases.complete('default', task.lease_id, { ok: true });
    }
  }
}

async function checkInvariants(t: TestApp, runs: string[], seenTerminal: Map<string, RunStatus>, seenAttempts: Map<string, number>): Promise<void> {
  if (runs.length === 0) return;
  const rows = await t.store.allTenants(t.store.db).selectFrom('runs').selectAll().where('id', 'in', runs).execute();
  assert.equal(rows.length, runs.length, 'every acknowledged run exists');
  // An attempt's row is written once, when it ends: no row is ever `running`; the open attempt is the run row's.
  const ended = await t.store.allTenants(t.store.db).selectFrom('run_attempts').select(['run_id', 'lease_id', 'outcome']).where('run_id', 'in', runs).execute();
  assert.deepEqual(ended.filter((a) => a.outcome === 'running'), [], 'no attempt row is written before its attempt ends');
  const endedByRun = new Map<string, string[]>();
  for (const a of ended) endedByRun.set(a.run_id, [...(endedByRun.get(a.run_id) ?? []), a.lease_id]);
  const liveByRun = new Map<string, string[]>();
  for (const run of rows) {
    const open = openAttempt(run);
    if (open) liveByRun.set(run.id, [open.lease_id]);
  }
  for (const run of rows) {
    const status = run.status as RunStatus;
    const terminal = seenTerminal.get(run.id);
    if (terminal) assert.equal(status, terminal, `terminal ${terminal} of ${run.id} changed to ${status}`);
    if (TERMINAL_STATUSES.has(status)) seenTerminal.set(run.id, status);
    assert.ok(run.attempts >= (seenAttempts.get(run.id) ?? 0), 'attempts never decrease');
    seenAttempts.set(run.id, run.attempts);
    const liveLeases = liveByRun.get(run.id) ?? [];
    assert.ok(liveLeases.length <= 1, `at most one live lease, got ${liveLeases.length}`);
    const endedLeases = endedByRun.get(run.id) ?? [];
    assert.equal(endedLeases.length + liveLeases.length, run.attempts, 'every attempt begun is open (on the run row) or ended (one row)');
    assert.ok(!liveLeases.some((l) => endedLeases.includes(l)), 'an open attempt has no row yet');
    // A run waiting on a worker's approval keeps that worker's lease; one waiting on a manifest approval was never leased.
    if (status === 'running' || (status === 'waiting' && run.lease_id)) assert.deepEqual(liveLeases, [run.lease_id], `a ${status} run holds exactly its current lease`);
    else assert.equal(liveLeases.length, 0, `a ${status} run holds no live lease`);
    assert.ok(['queued', 'running', 'waiting', ...TERMINAL_STATUSES].includes(status));
    const seqs = await t.store.allTenants(t.store.db).selectFrom('run_events').select('seq').where('run_id', '=', run.id).orderBy('seq').execute();
    assert.deepEqual(seqs.map((s) => s.seq), Array.from({ length: run.last_seq }, (_, i) => i + 1), 'events are gap-free and match last_seq');
    const events = await t.store.allTenants(t.store.db).selectFrom('run_events').select(['type', 'data']).where('run_id', '=', run.id).orderBy('seq').execute();
    const possible = replay(run.id, events.map((e) => e.type));
    assert.ok(possible.has(status), `run ${run.id} is ${status}, but its log through the table leaves it ${[...possible].join(' or ')}`);
    assert.equal(events.filter((e) => e.type === RUN_TRANSITIONS.lease.event).length, run.attempts, 'one lease event per attempt');
    const terminalEvents = events.filter((e) => ['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out'].includes(e.type));
    assert.equal(terminalEvents.length, TERMINAL_STATUSES.has(status) ? 1 : 0, 'exactly one terminal event once terminal');
    if (TERMINAL_STATUSES.has(status)) assert.equal(terminalEvents[0].type, events.at(-1)!.type, 'nothing is recorded after the terminal event');
    // Every approval settled with exactly one event saying so (no cancellation without its event), none pending on an ended run.
    const approvals = await t.store.allTenants(t.store.db).selectFrom('approvals').select(['id', 'status']).where('run_id', '=', run.id).execute();
    for (const a of approvals) {
      const settled = events.filter((e) => (e.type === 'approval.decided' || e.type === 'approval.expired') && JSON.parse(e.data).approval_id === a.id);
      assert.equal(settled.length, a.status === 'pending' ? 0 : 1, `approval ${a.id} (${a.status}) has ${settled.length} settling events`);
      if (TERMINAL_STATUSES.has(status)) assert.notEqual(a.status, 'pending', `a ${status} run keeps no pending approval`);
    }
    if (status === 'waiting') assert.ok(approvals.some((a) => a.status === 'pending'), 'a waiting run waits on a pending approval');
  }
}
