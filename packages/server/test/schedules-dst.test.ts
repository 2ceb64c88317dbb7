/**
 * Schedules across daylight-saving changes in America/New_York and Europe/Berlin, on both
 * databases, with an injected clock. The rule (README, "Schedules"): a fixed-time schedule (no
 * `*`, `?` or step in its second, minute and hour fields) whose local time a spring-forward gap
 * skips fires once, at the first valid instant after the gap; one whose local time a fall-back
 * repeats fires once, at its first occurrence. Interval schedules follow real time: the repeated
 * hour fires on both passes (two different instants), and a gap has no instants to fire.
 * Ticking: the clock steps fifteen minutes at a time through three days around each change (the
 * late tolerance is raised to twenty minutes, so each slot fires at the first tick after it),
 * and the runs made are exactly the expected instants, once each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock } from './helpers/test-app.ts';
import { createEngine, type Engine } from '../src/engine.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { DEFAULT_TENANT, type Store } from '../src/store/store.ts';

const STEP = 15 * 60_000;

interface Case {
  name: string;
  cron: string;
  timezone: string;
  /** When the schedule is made (and the ticks start); they run for three days. */
  from: string;
  /** The next five fire times seen from `from`. */
  next: string[];
}

const CASES: Case[] = [
  {
    name: 'New York spring forward: 02:30 does not exist on 8 March; it fires once at 03:00 EDT',
    cron: '30 2 * * *',
    timezone: 'America/New_York',
    from: '2026-03-06T12:00:00Z',
    next: ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z', '2026-03-11T06:30:00.000Z'],
  },
  {
    name: 'New York fall back: 01:30 happens twice on 1 November; it fires once, at the first (EDT)',
    cron: '30 1 * * *',
    timezone: 'America/New_York',
    from: '2026-10-30T12:00:00Z',
    next: ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z', '2026-11-04T06:30:00.000Z'],
  },
  {
    name: 'Berlin spring forward: 02:30 does not exist on 29 March; it fires once at 03:00 CEST',
    cron: '30 2 * * *',
    timezone: 'Europe/Berlin',
    from: '2026-03-27T12:00:00Z',
    next: ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z', '2026-04-01T00:30:00.000Z'],
  },
  {
    name: 'Berlin fall back: 02:30 happens twice on 25 October; it fires once, at the first (CEST)',
    cron: '30 2 * * *',
    timezone: 'Europe/Berlin',
    from: '2026-10-23T12:00:00Z',
    next: ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z', '2026-10-28T01:30:00.000Z'],
  },
  {
    name: 'Berlin spring forward, a list: 02:30 and 14:30 daily; the 02:30 that does not exist still fires once (03:00)',
    cron: '30 2,14 * * *',
    timezone: 'Europe/Berlin',
    from: '2026-03-28T12:00:00Z',
    next: ['2026-03-28T13:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T12:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-30T12:30:00.000Z'],
  },
  {
    name: 'New York fall back, an interval: */30 fires on both passes of 01:00 and 01:30 (four instants an hour apart in pairs)',
    cron: '*/30 * * * *',
    timezone: 'America/New_York',
    from: '2026-11-01T04:45:00Z',
    next: ['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:30:00.000Z', '2026-11-01T07:00:00.000Z'],
  },
  {
    name: 'New York spring forward, an interval: */30 has no 02:00 or 02:30 on 8 March (they are not instants)',
    cron: '*/30 * * * *',
    timezone: 'America/New_York',
    from: '2026-03-08T06:15:00Z',
    next: ['2026-03-08T06:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-08T08:00:00.000Z', '2026-03-08T08:30:00.000Z'],
  },
];

for (const d of await dialects()) {
  describe(`schedules across DST changes (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let store: Store;
    let engine: Engine;
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));

    before(async () => {
      db = await d.create();
      store = await db.open(() => clock.now());
      engine = createEngine({ store, clock, keyring: Keyring.generate(), schedules: { lateToleranceMs: 20 * 60_000 } });
      await engine.agents.deploy(DEFAULT_TENANT, HELLO_MANIFEST);
    });
    after(async () => {
      await store?.close();
      await db?.cleanup();
    });

    for (const [i, c] of CASES.entries()) {
      it(c.name, async () => {
        const id = `dst${i}`;
        clock.set(Date.parse(c.from));
        await engine.schedules.create(DEFAULT_TENANT, { id, cron: c.cron, timezone: c.timezone, target: { agent: 'hello', endpoint: 'greet' }, input: { name: id }, overlap_policy: 'allow' }, async () => {});
        assert.deepEqual((await engine.schedules.get(DEFAULT_TENANT, id)).next_fire_times, c.next);
        // Tick through three days, fifteen minutes at a time; then compare the runs made with the cron's own times.
        const end = Date.parse(c.from) + 3 * 24 * 3_600_000;
        while (clock.now() < end) {
          clock.advance(STEP);
          const r = await engine.scheduleTicker.tickOnce();
          assert.equal(r.failed + r.retried + r.dropped, 0, JSON.stringify(r));
        }
        await engine.schedules.setPaused(DEFAULT_TENANT, id, true);
        const slots = (await engine.schedules.fires(DEFAULT_TENANT, id, { limit: 500 })).data.map((f) => f.slot).reverse();
        const runs = await store.db.selectFrom('runs').select('metadata').where('tenant_id', '=', DEFAULT_TENANT).execute();
        const runSlots = runs.map((r) => (JSON.parse(r.metadata) as { schedule: { id: string; slot: string } }).schedule).filter((s) => s.id === id).map((s) => s.slot).sort();
        assert.deepEqual(runSlots, slots, 'one run per recorded slot');
        assert.equal(new Set(slots).size, slots.length, 'no slot twice');
        const inWindow = c.next.filter((t) => Date.parse(t) <= end);
        assert.deepEqual(slots.slice(0, inWindow.length), inWindow, 'the slots that fired are the next fire times shown beforehand');
        const local = (iso: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: c.timezone });
        // Each calendar day of a fixed-time schedule fired as many times as it has distinct local times.
        if (!c.cron.startsWith('*')) {
          const perDay = new Map<string, number>();
          for (const s of slots) perDay.set(local(s).slice(0, 10), (perDay.get(local(s).slice(0, 10)) ?? 0) + 1);
          const times = c.cron.split(' ')[1].split(',').length;
          const days = [...perDay.keys()].sort().slice(1, -1); // whole days only: the window cuts the first and last
          assert.ok(days.length >= 1);
          for (const day of days) assert.equal(perDay.get(day), times, `${day}: ${perDay.get(day)} runs`);
        }
      });
    }
  });
}
