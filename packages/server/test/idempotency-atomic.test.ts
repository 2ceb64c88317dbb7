/**
 * The idempotency record commits in the same transaction as the change, on every route that takes
 * Idempotency-Key: a database trigger (real, in the store's own transaction, no mock) makes the
 * record's insert fail for keys starting `fail-`, and the change must then be gone with it. A
 * change kept without its record is what a crash between two transactions would leave: a retry
 * with the same key would make it twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { IDEMPOTENCY_WEBHOOKS, IDEMPOTENT_ROUTES, closeIdempotencyFixtures, deployFixtures } from './helpers/idempotent-routes.ts';

const TRIGGER = {
  sqlite: [
    `CREATE TRIGGER idempotency_record_fails BEFORE INSERT ON idempotency_keys WHEN NEW.key LIKE 'fail-%'
     BEGIN SELECT RAISE(ABORT, 'injected failure of the idempotency record'); END`,
  ],
  postgres: [
    `CREATE FUNCTION idempotency_record_fails() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'injected failure of the idempotency record'; END $$`,
    `CREATE TRIGGER idempotency_record_fails BEFORE INSERT ON idempotency_keys FOR EACH ROW
     WHEN (NEW.key LIKE 'fail-%') EXECUTE FUNCTION idempotency_record_fails()`,
  ],
};

for (const d of await dialects()) {
  describe(`Idempotency-Key is atomic with the change (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const send = (url: string, body: unknown, key: string, apiKey?: string) => t.call('POST', url, { body, key: apiKey, headers: { 'idempotency-key': key } });

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { webhooks: IDEMPOTENCY_WEBHOOKS });
      await deployFixtures(t);
      for (const statement of TRIGGER[d.name]) await t.store.writer.write(({ trx }) => sql.raw(statement).execute(trx));
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
      // The MCP test server the MCP routes' entries started (once per file).
      await closeIdempotencyFixtures();
    });

    it('the injected failure is real: the record cannot be written for a fail- key', async () => {
      const failed = await send('/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: 'probe' } }, `fail-${randomUUID()}`);
      assert.equal(failed.statusCode, 500, failed.body);
      assert.equal(failed.json().error.code, 'INTERNAL');
      const rows = await t.store.allTenants(t.store.db).selectFrom('idempotency_keys').select('key').where('key', 'like', 'fail-%').execute();
      assert.deepEqual(rows, []);
    });

    for (const r of IDEMPOTENT_ROUTES.filter((x) => !x.stateless)) {
      it(`${r.route}: when its record fails, its change rolls back with it`, async () => {
        const req = await r.setup(t);
        const before = await req.effect();
        const failed = await send(req.url, req.body, `fail-${randomUUID()}`, req.key);
        assert.equal(failed.statusCode, 500, failed.body);
        assert.deepEqual(await req.effect(), before, 'nothing of the change was kept without its record');
        // The same request then succeeds once: the failed attempt left nothing to conflict with.
        const ok = await send(req.url, req.body, randomUUID(), req.key);
        assert.equal(ok.statusCode, r.status, ok.body);
        assert.notDeepEqual(await req.effect(), before, 'the change is made when its record can be');
      });
    }

    it('a failing record fails its own request only, not the requests committed in the same batch', async () => {
      const name = `batch-${randomUUID().slice(0, 8)}`;
      const body = (i: number) => ({ agent: 'hello', endpoint: 'greet', input: { name: `${name}-${i}` } });
      const answers = await Promise.all([send('/v1/runs', body(0), `fail-${randomUUID()}`), ...Array.from({ length: 8 }, (_, i) => send('/v1/runs', body(i + 1), randomUUID()))]);
      assert.equal(answers[0].statusCode, 500);
      assert.deepEqual(answers.slice(1).map((a) => a.statusCode), Array(8).fill(201));
      const runs = (await t.call('GET', '/v1/runs?limit=500')).json().data.filter((x: { input: { name?: string } }) => x.input.name?.startsWith(name));
      assert.equal(runs.length, 8);
      assert.ok(!runs.some((x: { input: { name: string } }) => x.input.name === `${name}-0`));
    });
  });
}
