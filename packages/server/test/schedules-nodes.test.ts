/**
 * TESTPLAN 11: one run per (schedule, slot) with several nodes and a node down across ticks,
 * enforced by the slot table's primary key. The nodes tick at once on purpose, without the
 * leader lock that normally keeps all but one from ticking: every slot is attempted by both, and
 * the constraint alone decides.
 * - PostgreSQL: two stores and engines (two nodes) on one database.
 * - SQLite: one process owns the file (node:sqlite waits for a busy file synchronously, so two
 *   stores in one process would stall each other), so two tickers — each with its own firing
 *   path and cron cache — race over the one store: both read the same due schedules and both
 *   try every slot; the writes serialise, and the primary key turns the second away.
 * The clock is injected: a tick is a call, not a wait.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock } from './helpers/test-app.ts';
import { createEngine, type Engine } from '../src/engine.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { CronCache, ScheduleFiring, ScheduleTicker, type TickResult } from '../src/schedules/index.ts';
import { DEFAULT_TENANT, type Store } from '../src/store/store.ts';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0, 400);
const SCHEDULES = 30;
const TICKS = 15;
const DOWN_S = 5;

interface Node {
  store: Store;
  engine: Engine;
  tick(): Promise<TickResult>;
  close(): Promise<void>;
}

for (const d of await dialects()) {
  describe(`one run per slot across nodes (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    const clock = new ManualClock(T0);
    const nodes: Node[] = [];

    const openNode = async (): Promise<Node> => {
      const store = await db.open(() => clock.now());
      const engine = createEngine({ store, clock, keyring: Keyring.generate() });
      return { store, engine, tick: () => engine.scheduleTicker.tickOnce(), close: () => store.close() };
    };

    before(async () => {
      db = await d.create();
      const a = await openNode();
      if (d.name === 'postgres') nodes.push(a, await openNode());
      else {
        // A second ticker of its own over the same store (see the header); "node A down" is the
        // first ticker stopping, and the store closes with the second.
        const ticker = new ScheduleTicker({ store: a.store, firing: new ScheduleFiring(a.store, a.engine.runs, a.engine.workflowRuns), crons: new CronCache(), clock });
        nodes.push({ ...a, close: async () => {} }, { ...a, tick: () => ticker.tickOnce() });
      }
      await a.engine.agents.deploy(DEFAULT_TENANT, HELLO_MANIFEST);
      for (let i = 0; i < SCHEDULES; i++) {
        await a.engine.schedules.create(
          DEFAULT_TENANT,
          { id: `n${i}`, cron: '* * * * * *', timezone: 'Europe/Berlin', target: { agent: 'hello', endpoint: 'greet' }, input: { name: `n${i}` }, overlap_policy: 'allow', missed_policy: 'run_all' },
          async () => {},
        );
      }
    });
    after(async () => {
      for (const n of nodes.reverse()) await n.close();
      await db?.cleanup();
    });

    /** Every run a schedule made, as (schedule, slot) pairs. */
    const scheduledRuns = async (store: Store) => {
      const rows = await store.db.selectFrom('runs').select(['id', 'metadata']).where('tenant_id', '=', DEFAULT_TENANT).execute();
      return rows.map((r) => (JSON.parse(r.metadata) as { schedule: { id: string; slot: string } }).schedule);
    };

    it(`${TICKS} ticks by two nodes at once, then node A down for ${DOWN_S} s: every slot of every schedule has exactly one run`, async (ctx) => {
      const [a, b] = nodes;
      let taken = 0;
      let started = 0;
      let retried = 0;
      const count = (r: TickResult) => {
        taken += r.taken;
        started += r.started;
        // A deadlock between the racing transactions (PostgreSQL) leaves a schedule for the next tick.
        retried += r.retried;
        assert.equal(r.failed, 0, JSON.stringify(r));
      };
      for (let i = 0; i < TICKS; i++) {
        clock.advance(1000);
        for (const r of await Promise.all([a.tick(), b.tick()])) count(r);
      }
      // Node A goes down; B is not ticking either for DOWN_S seconds (the takeover), then B alone:
      // run_all catches up every second that either missed, once.
      await a.close();
      nodes.splice(0, 1);
      clock.advance(DOWN_S * 1000);
      count(await b.tick());
      const runs = await scheduledRuns(b.store);
      assert.equal(started, runs.length, 'every start the ticks counted is a run');
      assert.equal(runs.length, SCHEDULES * (TICKS + DOWN_S));
      const keys = new Set(runs.map((r) => `${r.id} ${r.slot}`));
      assert.equal(keys.size, runs.length, 'no (schedule, slot) has two runs');
      for (let i = 0; i < SCHEDULES; i++) {
        const slots = runs.filter((r) => r.id === `n${i}`).map((r) => Date.parse(r.slot)).sort((x, y) => x - y);
        const first = Math.ceil(T0 / 1000) * 1000;
        assert.deepEqual(slots, Array.from({ length: TICKS + DOWN_S }, (_, k) => first + k * 1000), `n${i}: one run per second, none missing`);
      }
      const rows = await b.store.db.selectFrom('schedule_slots').select(['schedule_id', 'run_id']).where('tenant_id', '=', DEFAULT_TENANT).execute();
      assert.equal(rows.length, runs.length, 'one slot row per run');
      ctx.diagnostic(`${runs.length} runs over ${SCHEDULES} schedules × ${TICKS + DOWN_S} slots; the primary key turned away ${taken} second attempts; ${retried} schedule passes were left for a later tick`);
      assert.ok(taken > 0, 'the nodes did race for slots');
    });

    it('through the leader lock (PostgreSQL), one node of two ticks, its writes fenced', { skip: d.name === 'sqlite' ? 'one process leads on SQLite' : false }, async () => {
      const b = nodes[0];
      const c = await openNode();
      nodes.push(c);
      clock.advance(1000);
      const [rb, rc] = await Promise.all([b, c].map((n) => n.store.asLeader((fence) => n.engine.scheduleTicker.tickOnce(fence))));
      const results = [rb, rc].filter((r) => r !== undefined);
      assert.equal(results.length, 1, 'exactly one node led this tick');
      assert.equal(results[0]!.started, SCHEDULES);
      const runs = await scheduledRuns(b.store);
      assert.equal(new Set(runs.map((r) => `${r.id} ${r.slot}`)).size, runs.length);
    });
  });
}
