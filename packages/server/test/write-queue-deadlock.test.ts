/**
 * PostgreSQL: two nodes' batches lock two rows in opposite orders, so one of their operations is
 * chosen as a deadlock victim. The victim's batch still holds its earlier operation's lock, which
 * the other side waits for: retried inside that transaction it deadlocks again. It must instead
 * run again alone once its batch has committed, and every write succeed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import type { WriteContext } from '../src/store/index.ts';

for (const d of (await dialects()).filter((x) => x.name === 'postgres')) {
  describe('write queue: a deadlock victim in a batch (postgres)', { skip: d.skip }, () => {
    let db: TestDatabase;
    let a: TestApp;
    let b: TestApp;
    let tenants: string[] = [];
    before(async () => {
      db = await d.create();
      a = await startTestApp(db);
      b = await startTestApp(db);
      tenants = [(await a.engine.tenants.create({ name: 'dl-x' })).id, (await a.engine.tenants.create({ name: 'dl-y' })).id];
    });
    after(async () => {
      await b?.close();
      await a?.close();
      await db?.cleanup();
    });

    const lock = (tenant: string, holdMs: number) => async (ctx: WriteContext) => {
      await sql`select id from tenants where id = ${tenant} for update`.execute(ctx.trx);
      if (holdMs > 0) await sql`select pg_sleep(${holdMs / 1000})`.execute(ctx.trx);
      return tenant;
    };

    it('every write of both batches succeeds', async () => {
      const [x, y] = tenants;
      // Each pair is queued in one tick, so each node commits its pair as one batch: the first
      // op takes its row and holds it long enough for the other node to take the other row.
      const first = [a.store.writer.write(lock(x, 300)), a.store.writer.write(lock(y, 0))];
      const second = [b.store.writer.write(lock(y, 300)), b.store.writer.write(lock(x, 0))];
      const results = await Promise.allSettled([...first, ...second]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'], JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))));
    });
  });
}
