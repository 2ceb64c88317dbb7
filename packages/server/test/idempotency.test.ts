import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';
import { IDEMPOTENCY_WEBHOOKS, IDEMPOTENT_ROUTES, NOT_IDEMPOTENT_BY_KEY, closeIdempotencyFixtures, deployFixtures } from './helpers/idempotent-routes.ts';

/** Every string in a JSON value, for checking that none of an answer is stored as text. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

for (const d of await dialects()) {
  describe(`Idempotency-Key (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const body = (name: string) => ({ agent: 'hello', endpoint: 'greet', input: { name } });
    const post = (key: string, b: unknown, apiKey?: string) => t.call('POST', '/v1/runs', { body: b, headers: { 'idempotency-key': key }, key: apiKey });
    const count = async () => (await t.call('GET', '/v1/runs?limit=500')).json().data.length as number;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock, webhooks: IDEMPOTENCY_WEBHOOKS });
      await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('100 sequential requests with one key make one run and identical responses', async () => {
      const key = randomUUID();
      const first = await post(key, body('seq'));
      assert.equal(first.statusCode, 201);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      const before = await count();
      for (let i = 0; i < 99; i++) {
        const r = await post(key, body('seq'));
        assert.equal(r.statusCode, 201);
        assert.equal(r.headers['idempotent-replayed'], 'true');
        assert.equal(r.body, first.body);
      }
      assert.equal(await count(), before);
    });

    it('50 parallel requests with one key make one run; the others replay it or get 409 while it is in flight', async () => {
      const key = randomUUID();
      const before = await count();
      const results = await Promise.all(Array.from({ length: 50 }, () => post(key, body('par'))));
      const codes = results.map((r) => r.statusCode);
      assert.ok(codes.every((c) => c === 201 || c === 409), codes.join(','));
      const created = results.filter((r) => r.statusCode === 201);
      assert.ok(created.length >= 1);
      assert.equal(new Set(created.map((r) => r.json().id)).size, 1, 'every success names the same run');
      for (const r of results.filter((x) => x.statusCode === 409)) assert.equal(r.json().error.code, 'IDEMPOTENCY_IN_FLIGHT');
      assert.equal(await count(), before + 1);
      const again = await post(key, body('par'));
      assert.equal(again.statusCode, 201);
      assert.equal(again.json().id, created[0].json().id);
    });

    it('the same key with another body is 422, from another tenant is independent, after retention is new', async () => {
      const key = randomUUID();
      const first = (await post(key, body('one'))).json();
      const other = await post(key, body('two'));
      assert.equal(other.statusCode, 422);
      assert.equal(other.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      const tenant = (await t.engine.tenants.create({ name: 'T2' })).id;
      const admin2 = await t.keyFor('admin', tenant);
      await t.call('POST', '/v1/agents', { key: admin2, body: HELLO_MANIFEST });
      const theirs = await post(key, body('one'), admin2);
      assert.equal(theirs.statusCode, 201);
      assert.notEqual(theirs.json().id, first.id);
      assert.equal(theirs.headers['idempotent-replayed'], undefined);
      clock.advance(24 * 3_600_000 + 1);
      const later = await post(key, body('one'));
      assert.equal(later.statusCode, 201);
      assert.notEqual(later.json().id, first.id, 'after retention the key makes a new run');
      await t.engine.sweeper.sweepOnce();
    });

    it('does not keep a request that failed, so the key can be used again', async () => {
      const key = randomUUID();
      const bad = await post(key, { agent: 'hello', endpoint: 'greet', input: {} });
      assert.equal(bad.statusCode, 422);
      const good = await post(key, body('fixed'));
      assert.equal(good.statusCode, 201);
      assert.equal(good.headers['idempotent-replayed'], undefined);
    });

    it('two nodes racing on one key: one run, both answer with it, and creates batched alongside still succeed', { skip: d.name === 'sqlite' ? 'one node on SQLite' : false }, async () => {
      const second = await startTestApp(db, { clock });
      try {
        const key = randomUUID();
        const racing = [t, second].map((app) => app.call('POST', '/v1/runs', { body: body('race'), headers: { 'idempotency-key': key } }));
        const bystanders = Array.from({ length: 10 }, (_, i) => t.call('POST', '/v1/runs', { body: body(`b${i}`) }));
        const [a, b] = await Promise.all(racing);
        const others = await Promise.all(bystanders);
        assert.equal(a.statusCode, 201, a.body);
        assert.equal(b.statusCode, 201, b.body);
        assert.equal(a.json().id, b.json().id, 'the loser replays the winner');
        assert.ok(others.every((r) => r.statusCode === 201), 'a conflict fails alone, not the creates it was batched with');
        const named = (await t.call('GET', '/v1/runs?limit=500')).json().data.filter((r: { input: { name: string } }) => r.input.name === 'race');
        assert.equal(named.length, 1);
      } finally {
        await second.close();
      }
    });

    it('scopes keys by route: the same key on cancel is independent of create', async () => {
      const key = randomUUID();
      const run = (await post(key, body('scoped'))).json();
      const c1 = await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: {}, headers: { 'idempotency-key': key } });
      assert.equal(c1.statusCode, 200);
      const c2 = await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: {}, headers: { 'idempotency-key': key } });
      assert.equal(c2.statusCode, 200, 'a replayed cancel answers like the first, not 409');
      assert.equal(c2.headers['idempotent-replayed'], 'true');
    });
  });

  describe(`Idempotency-Key on every route that takes it (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const keyring = Keyring.generate();
    const send = (url: string, body: unknown, key: string, apiKey?: string) => t.call('POST', url, { body, key: apiKey, headers: { 'idempotency-key': key } });
    const recordOf = (key: string) => t.store.allTenants(t.store.db).selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirstOrThrow();

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { keyring, webhooks: IDEMPOTENCY_WEBHOOKS });
      await deployFixtures(t);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
      await closeIdempotencyFixtures();
    });

    it('every POST route either takes Idempotency-Key (and is tested below) or is listed with why it does not', () => {
      const posts = t.app.registeredRoutes.filter((r) => r.startsWith('POST '));
      const unlisted = posts.filter((r) => !IDEMPOTENT_ROUTES.some((x) => x.route === r) && !NOT_IDEMPOTENT_BY_KEY.has(r));
      assert.deepEqual(unlisted, []);
      assert.deepEqual(IDEMPOTENT_ROUTES.map((x) => x.route).filter((r) => !posts.includes(r)), [], 'the table names real routes');
    });

    for (const r of IDEMPOTENT_ROUTES) {
      it(`${r.route}: replays the first answer and changes nothing more; another body 422; a failed first request is not kept`, async () => {
        const req = await r.setup(t);
        const key = randomUUID();
        const before = await req.effect();
        const first = await send(req.url, req.body, key, req.key);
        assert.equal(first.statusCode, r.status, first.body);
        assert.equal(first.headers['idempotent-replayed'], undefined);
        const changed = await req.effect();
        if (!r.stateless) assert.notDeepEqual(changed, before, 'the first request made its change');
        for (let i = 0; i < 3; i++) {
          const again = await send(req.url, req.body, key, req.key);
          assert.equal(again.statusCode, r.status, again.body);
          assert.equal(again.headers['idempotent-replayed'], 'true');
          assert.equal(again.body, first.body);
        }
        if (req.other !== undefined) {
          const reused = await send(req.url, req.other, key, req.key);
          assert.equal(reused.statusCode, 422, reused.body);
          assert.equal(reused.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
        }
        assert.deepEqual(await req.effect(), changed, 'replays and the reused key changed nothing');

        const row = await recordOf(key);
        if (r.sensitive) {
          const sealed = JSON.parse(row.response) as Record<string, string>;
          assert.deepEqual(Object.keys(sealed).sort(), ['ciphertext', 'dek_iv', 'dek_tag', 'iv', 'kek_id', 'tag', 'wrapped_dek']);
          for (const text of strings(first.json()).filter((x) => x.length >= 8)) assert.ok(!row.response.includes(text), `the record holds no part of the answer as text (${text.slice(0, 12)}…)`);
        } else {
          assert.deepEqual(JSON.parse(row.response), first.json(), 'a record without key material is the answer as is');
        }

        const unused = randomUUID();
        const bad = await send(req.invalid.url, req.invalid.body, unused, req.key);
        assert.ok(bad.statusCode >= 400 && bad.statusCode < 500, `${bad.statusCode} ${bad.body}`);
        const fresh = await r.setup(t);
        const good = await send(fresh.url, fresh.body, unused, fresh.key);
        assert.equal(good.statusCode, r.status, good.body);
        assert.equal(good.headers['idempotent-replayed'], undefined, 'the failed request was not kept');
      });
    }

    it('a sealed record moved to another Idempotency-Key does not open: SECRET_UNREADABLE, never someone else\'s key', async () => {
      const [k1, k2] = [randomUUID(), randomUUID()];
      const body = { role: 'viewer', name: 'moved' };
      assert.equal((await send('/v1/keys', body, k1)).statusCode, 201);
      assert.equal((await send('/v1/keys', body, k2)).statusCode, 201);
      const other = await recordOf(k2);
      await t.store.writer.write(({ trx }) => t.store.allTenants(trx).updateTable('idempotency_keys').set({ response: other.response }).where('key', '=', k1).execute());
      const replay = await send('/v1/keys', body, k1);
      assert.equal(replay.statusCode, 500, replay.body);
      assert.equal(replay.json().error.code, 'SECRET_UNREADABLE');
      assert.ok(!/agd_/.test(replay.body));
    });

    it('a sealed answer replays only to the key that asked: another admin key with the same Idempotency-Key and body gets 422, no key', async () => {
      const idem = randomUUID();
      const body = { role: 'viewer', name: 'mine' };
      const first = await t.call('POST', '/v1/keys', { body, headers: { 'idempotency-key': idem } });
      assert.equal(first.statusCode, 201, first.body);
      const again = await t.call('POST', '/v1/keys', { body, headers: { 'idempotency-key': idem } });
      assert.equal(again.json().key, first.json().key, 'the caller itself gets its replay');
      const otherAdmin = await t.keyFor('admin');
      const stolen = await t.call('POST', '/v1/keys', { key: otherAdmin, body, headers: { 'idempotency-key': idem } });
      assert.equal(stolen.statusCode, 422, stolen.body);
      assert.equal(stolen.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.ok(!stolen.body.includes(first.json().key));
    });

    it('two nodes racing on one key for POST /v1/keys: one key is made, and both answer with it', { skip: d.name === 'sqlite' ? 'one node on SQLite' : false }, async () => {
      // Nodes share the master key (AGENTD_MASTER_KEY), so either can open the other's sealed record.
      const second = await startTestApp(db, { keyring });
      try {
        const key = randomUUID();
        const body = { role: 'viewer', name: `race-${key.slice(0, 8)}` };
        // One client (one API key) whose retry reached the other node.
        const [a, b] = await Promise.all([t, second].map((app) => app.call('POST', '/v1/keys', { key: t.adminKey, body, headers: { 'idempotency-key': key } })));
        assert.equal(a.statusCode, 201, a.body);
        assert.equal(b.statusCode, 201, b.body);
        assert.equal(a.json().key, b.json().key, 'the loser replays the winner, key included');
        const made = (await t.call('GET', '/v1/keys?limit=500')).json().data.filter((k: { name: string }) => k.name === body.name);
        assert.equal(made.length, 1, 'the loser made no key of its own');
      } finally {
        await second.close();
      }
    });
  });
}
