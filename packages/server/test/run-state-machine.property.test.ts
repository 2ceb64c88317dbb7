import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TERMINAL_STATUSES, type RunStatus } from '@agentd/protocol';
import { DomainError } from '../src/store/write-queue.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

/** One step of a random interleaving; `pick` chooses among the runs or leases seen so far. */
type Op =
  | { kind: 'create' }
  | { kind: 'lease'; max: number }
  | { kind: 'heartbeat' | 'complete' | 'fail' | 'failFinal' | 'release'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'sweep' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Op>({ kind: 'create' }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((max): Op => ({ kind: 'lease', max })) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('heartbeat', 'complete', 'fail', 'failFinal', 'release'), pick: fc.nat() }) as fc.Arbitrary<Op> },
  { weight: 1, arbitrary: fc.nat().map((pick): Op => ({ kind: 'cancel', pick })) },
  { weight: 2, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((ms): Op => ({ kind: 'advance', ms })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'sweep' }) },
);

const MANIFEST = {
  ...HELLO_MANIFEST,
  metadata: { name: 'prop' },
  spec: { runtime: 'worker', endpoints: { go: { timeout: '15s', retry: { max_attempts: 3, initial_interval: '1s', max_interval: '4s', jitter: 0.3 } } } },
};

for (const d of await dialects()) {
  describe(`run state machine, property-based (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 8, 1));

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      await t.engine.agents.deploy('default', MANIFEST);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('terminal states absorb, attempts only grow, at most one live lease, events are gap-free', async () => {
      const e = t.engine;
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
          const runs: string[] = [];
          const leases: string[] = [];
          const seenTerminal = new Map<string, RunStatus>();
          const seenAttempts = new Map<string, number>();
          const ignore = (err: unknown) => {
            if (!(err instanceof DomainError)) throw err;
          };
          for (const op of ops) {
            const lease = leases.length ? leases[(op as { pick: number }).pick % leases.length] : undefined;
            switch (op.kind) {
              case 'create':
                runs.push((await e.runs.create('default', { agent: 'prop', endpoint: 'go', input: {} })).id);
                break;
              case 'lease':
                for (const task of await e.leases.leaseOnce({ tenantId: 'default', agent: 'prop', maxTasks: op.max, waitMs: 0, workerId: 'w', leaseTtlMs: 5000 })) leases.push(task.lease_id);
                break;
              case 'heartbeat':
                if (lease) await e.leases.heartbeat('default', lease).catch(ignore);
                break;
              case 'complete':
                if (lease) await e.leases.complete('default', lease, { ok: true }).catch(ignore);
                break;
              case 'fail':
              case 'failFinal':
                if (lease) await e.leases.fail('default', lease, { type: 'x', message: 'y', non_retryable: op.kind === 'failFinal', details: null }).catch(ignore);
                break;
              case 'release':
                if (lease) await e.leases.release('default', lease).catch(ignore);
                break;
              case 'cancel':
                if (runs.length) await e.runs.cancel('default', runs[op.pick % runs.length], null).catch(ignore);
                break;
              case 'advance':
                clock.advance(op.ms);
                break;
              case 'sweep':
                await e.sweeper.sweepOnce();
                break;
            }
            await checkInvariants(t, runs, seenTerminal, seenAttempts);
          }
        }),
        { numRuns: d.name === 'sqlite' ? 60 : 25, seed: Number(process.env.FC_SEED ?? Date.now() % 1_000_000), verbose: 1 },
      );
    });
  });
}

async function checkInvariants(t: TestApp, runs: string[], seenTerminal: Map<string, RunStatus>, seenAttempts: Map<string, number>): Promise<void> {
  if (runs.length === 0) return;
  const rows = await t.store.db.selectFrom('runs').selectAll().where('id', 'in', runs).execute();
  assert.equal(rows.length, runs.length, 'every acknowledged run exists');
  const live = await t.store.db.selectFrom('run_attempts').select(['run_id', 'lease_id']).where('run_id', 'in', runs).where('outcome', '=', 'running').execute();
  const liveByRun = new Map<string, string[]>();
  for (const a of live) liveByRun.set(a.run_id, [...(liveByRun.get(a.run_id) ?? []), a.lease_id]);
  for (const run of rows) {
    const status = run.status as RunStatus;
    const terminal = seenTerminal.get(run.id);
    if (terminal) assert.equal(status, terminal, `terminal ${terminal} of ${run.id} changed to ${status}`);
    if (TERMINAL_STATUSES.has(status)) seenTerminal.set(run.id, status);
    assert.ok(run.attempts >= (seenAttempts.get(run.id) ?? 0), 'attempts never decrease');
    seenAttempts.set(run.id, run.attempts);
    const liveLeases = liveByRun.get(run.id) ?? [];
    assert.ok(liveLeases.length <= 1, `at most one live lease, got ${liveLeases.length}`);
    if (status === 'running') assert.deepEqual(liveLeases, [run.lease_id], 'a running run holds exactly its current lease');
    else assert.equal(liveLeases.length, 0, `a ${status} run holds no live lease`);
    assert.ok(['queued', 'running', 'waiting', ...TERMINAL_STATUSES].includes(status));
    const seqs = await t.store.db.selectFrom('run_events').select('seq').where('run_id', '=', run.id).orderBy('seq').execute();
    assert.deepEqual(seqs.map((s) => s.seq), Array.from({ length: run.last_seq }, (_, i) => i + 1), 'events are gap-free and match last_seq');
    const terminalEvents = (await t.store.db.selectFrom('run_events').select('type').where('run_id', '=', run.id).execute()).filter((e) => ['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out'].includes(e.type));
    assert.equal(terminalEvents.length, TERMINAL_STATUSES.has(status) ? 1 : 0, 'exactly one terminal event once terminal');
  }
}
