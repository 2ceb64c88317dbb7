/**
 * `/v1/webhooks` on both databases: create (secret shown once, `whsec_…`), list/get/update/delete
 * without the secret, rotation with an overlap (both secrets sign during it, and only the new one
 * after), the default egress policy refusing loopback, private and metadata URLs (422
 * EGRESS_REFUSED), schema validation, roles, and the secret nowhere in the database as text
 * (webhook_secrets holds it sealed, like the vault's versions).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { randomBytes } from 'node:crypto';
import { signatureHeaders } from '../src/webhooks/index.ts';
import { createEngine } from '../src/engine.ts';
import { Keyring } from '../src/secrets/master-key.ts';

/** Names the tests resolve without DNS (the default policy checks what a name resolves to at create). */
const DNS: Record<string, string[]> = { 'hooks.example.com': ['93.184.216.34'], 'loop.example.com': ['127.0.0.1'], 'meta.example.com': ['169.254.169.254'] };

for (const d of await dialects()) {
  describe(`webhook subscriptions API (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, {
        webhooks: {
          resolve: async (host) => {
            const a = DNS[host];
            if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
            return a.map((address) => ({ address, family: 4 }));
          },
        },
      });
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('creates a subscription with a secret shown once; list, get and update never show it; delete removes it', async () => {
      const r = await t.call('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/agentd', events: ['run.succeeded', 'approval.*'], agents: ['hello'], description: 'crm' } });
      assert.equal(r.statusCode, 201, r.body);
      const sub = r.json();
      assert.match(sub.id, /^whk_/);
      assert.match(sub.secret, /^whsec_/);
      assert.deepEqual([sub.url, sub.events, sub.agents, sub.description, sub.status, sub.secret_version, sub.failing_since], ['https://hooks.example.com/agentd', ['run.succeeded', 'approval.*'], ['hello'], 'crm', 'active', 1, null]);
      const got = await t.call('GET', `/v1/webhooks/${sub.id}`);
      const list = await t.call('GET', '/v1/webhooks');
      const patched = await t.call('PATCH', `/v1/webhooks/${sub.id}`, { body: { events: ['*'], agents: null, description: null } });
      const log = await t.call('GET', `/v1/webhooks/${sub.id}/deliveries`);
      for (const res of [got, list, patched, log]) {
        assert.equal(res.statusCode, 200, res.body);
        assert.ok(!res.body.includes(sub.secret) && !res.body.includes('"secret"'), `no secret in ${res.body}`);
      }
      assert.deepEqual(list.json().data.map((w: { id: string }) => w.id), [sub.id]);
      assert.deepEqual([patched.json().events, patched.json().agents, patched.json().description], [['*'], null, null]);
      const del = await t.call('DELETE', `/v1/webhooks/${sub.id}`);
      assert.deepEqual(del.json(), { id: sub.id, deleted: true });
      for (const [m, u] of [['GET', `/v1/webhooks/${sub.id}`], ['DELETE', `/v1/webhooks/${sub.id}`], ['PATCH', `/v1/webhooks/${sub.id}`], ['POST', `/v1/webhooks/${sub.id}/rotate-secret`], ['GET', `/v1/webhooks/${sub.id}/deliveries`]] as const) {
        const res = await t.call(m, u, { body: m === 'PATCH' || m === 'POST' ? {} : undefined });
        assert.equal(res.statusCode, 404, `${m} ${u}`);
        assert.equal(res.json().error.code, 'WEBHOOK_NOT_FOUND');
      }
    });

    it('refuses URLs the default egress policy forbids with 422 EGRESS_REFUSED, at create and update', async () => {
      const refused = [
        'http://127.0.0.1:8080/hook', 'http://localhost:8080/hook', 'http://[::1]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://2130706433/hook',
        'http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://10.1.2.3/hook', 'http://192.168.0.5/hook', 'http://172.16.0.1/', 'http://0.0.0.0/',
        'http://loop.example.com/hook', 'http://meta.example.com/hook', 'file:///etc/passwd', 'ftp://hooks.example.com/',
      ];
      for (const url of refused) {
        const r = await t.call('POST', '/v1/webhooks', { body: { url, events: ['run.succeeded'] } });
        assert.equal(r.statusCode, 422, `${url}: ${r.body}`);
        assert.equal(r.json().error.code, 'EGRESS_REFUSED', url);
        assert.match(r.json().error.message, /egress refused/);
      }
      assert.match((await t.call('POST', '/v1/webhooks', { body: { url: 'http://127.0.0.1/', events: ['*'] } })).json().error.message, /loopback/);
      const sub = (await t.call('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/a', events: ['run.*'] } })).json();
      const r = await t.call('PATCH', `/v1/webhooks/${sub.id}`, { body: { url: 'http://169.254.169.254/' } });
      assert.equal(r.statusCode, 422);
      assert.match(r.json().error.message, /metadata/);
      assert.equal((await t.call('GET', `/v1/webhooks/${sub.id}`)).json().url, 'https://hooks.example.com/a', 'unchanged');
      // A name that does not resolve now is accepted: it is checked again on every connection.
      assert.equal((await t.call('POST', '/v1/webhooks', { body: { url: 'https://not-yet.example.net/x', events: ['run.*'] } })).statusCode, 201);
    });

    it('validates the body: event patterns, unknown fields, URL length', async () => {
      for (const body of [
        { url: 'https://hooks.example.com/', events: [] },
        { url: 'https://hooks.example.com/', events: ['Run.Succeeded'] },
        { url: 'https://hooks.example.com/', events: ['run.*.x'] },
        { url: 'https://hooks.example.com/', events: ['run.succeeded'], tenant_id: 'other' },
        { url: 'https://hooks.example.com/', events: ['run.succeeded'], secret: 'whsec_mine' },
        { events: ['run.succeeded'] },
        { url: `https://hooks.example.com/${'x'.repeat(3000)}`, events: ['run.succeeded'] },
      ]) {
        const r = await t.call('POST', '/v1/webhooks', { body });
        assert.equal(r.statusCode, 400, `${JSON.stringify(body).slice(0, 100)}: ${r.body}`);
        assert.equal(r.json().error.code, 'VALIDATION_ERROR');
      }
    });

    it('rotates the secret: during the overlap deliveries carry both signatures, after it only the new one', async () => {
      const sub = (await t.call('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/rot', events: ['run.*'] } })).json();
      const r = await t.call('POST', `/v1/webhooks/${sub.id}/rotate-secret`, { body: { overlap_seconds: 3600 } });
      assert.equal(r.statusCode, 200, r.body);
      const rotated = r.json();
      assert.notEqual(rotated.secret, sub.secret);
      assert.equal(rotated.secret_version, 2);
      const signing = async () => {
        const rows = await t.store.db.selectFrom('webhook_secrets').selectAll().where('tenant_id', '=', t.tenantId).where('webhook_id', '=', sub.id).where((eb) => eb.or([eb('signs_until', 'is', null), eb('signs_until', '>', Date.now())])).orderBy('version', 'desc').execute();
        return rows.map((s) => t.engine.secrets.openWebhookSecret({ tenantId: t.tenantId, webhookId: sub.id, version: s.version }, s));
      };
      assert.deepEqual(await signing(), [rotated.secret, sub.secret]);
      const headers = signatureHeaders({ id: 'msg_1', at: new Date(), body: '{"a":1}', secrets: await signing() });
      for (const s of [sub.secret, rotated.secret]) new StandardWebhook(s).verify('{"a":1}', headers);
      const third = (await t.call('POST', `/v1/webhooks/${sub.id}/rotate-secret`, { body: { overlap_seconds: 0 } })).json();
      assert.deepEqual(await signing(), [third.secret], 'no overlap: only the newest signs');
      assert.equal((await t.call('POST', `/v1/webhooks/${sub.id}/rotate-secret`)).statusCode, 200, 'the body is optional');
    });

    it('moves webhook signing secrets to a new master key with the vault\'s rewrap, and a moved one still opens', async () => {
      const sub = (await t.call('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/rewrap', events: ['*'] } })).json();
      const old = t.engine.secrets.keyring;
      const rotated = new Keyring(randomBytes(32), { previous: [old.current.key] });
      // Engines on the test app's store, as restarted nodes would be (each takes over the store's
      // event hook, which routes by the database's version and so works the same for any of them).
      const engine2 = createEngine({ store: t.store, clock: t.clock, keyring: rotated });
      assert.ok((await engine2.secrets.unknownKeyVersions()).size === 0, 'the previous key is still given');
      const result = await engine2.secrets.rewrap({ tenantId: t.tenantId });
      assert.deepEqual(result.failed, []);
      assert.ok(result.rewrapped >= 1);
      const onlyNew = createEngine({ store: t.store, clock: t.clock, keyring: new Keyring(rotated.current.key) });
      const row = await t.store.db.selectFrom('webhook_secrets').selectAll().where('tenant_id', '=', t.tenantId).where('webhook_id', '=', sub.id).executeTakeFirstOrThrow();
      assert.equal(row.kek_id, rotated.current.id);
      assert.equal(onlyNew.secrets.openWebhookSecret({ tenantId: t.tenantId, webhookId: sub.id, version: 1 }, row), sub.secret);
      assert.throws(() => onlyNew.secrets.openWebhookSecret({ tenantId: t.tenantId, webhookId: 'whk_other', version: 1 }, row), /cannot be decrypted/, 'bound to its subscription');
    });

    it('keeps secrets only sealed: no table holds one as text', async () => {
      const made: string[] = [];
      for (let i = 0; i < 3; i++) made.push((await t.call('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/seal', events: ['*'] }, headers: { 'idempotency-key': `seal-${i}` } })).json().secret);
      const sub = (await t.call('GET', '/v1/webhooks?limit=500')).json().data[0];
      made.push((await t.call('POST', `/v1/webhooks/${sub.id}/rotate-secret`, { body: {}, headers: { 'idempotency-key': 'rot-1' } })).json().secret);
      const replay = await t.call('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/seal', events: ['*'] }, headers: { 'idempotency-key': 'seal-0' } });
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.json().secret, made[0], 'a replay answers with the same secret (its record is sealed)');
      const tables = ['webhooks', 'webhook_secrets', 'webhook_deliveries', 'idempotency_keys', 'audit_log', 'run_events'];
      const dump: string[] = [];
      for (const table of tables) {
        // The dump reads every tenant's rows on purpose.
        const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)}`.execute(t.store.allTenants(t.store.db));
        dump.push(JSON.stringify(rows.rows));
      }
      const text = dump.join('\n');
      for (const secret of made) {
        const raw = Buffer.from(secret.slice('whsec_'.length), 'base64');
        for (const form of [secret, secret.slice(6), raw.toString('hex'), raw.toString('base64url')]) assert.ok(!text.includes(form), 'a secret is stored as text');
      }
      assert.ok(text.includes(sub.id), 'the dump does hold the subscriptions');
    });

    it("lets admins and developers manage subscriptions, operators read them, and nobody else; another tenant's key sees nothing", async () => {
      const sub = (await t.call('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/rbac', events: ['run.*'] } })).json();
      const body = { url: 'https://hooks.example.com/rbac2', events: ['run.*'] };
      for (const [role, read, manage] of [['admin', 200, 201], ['developer', 200, 201], ['operator', 200, 403], ['approver', 403, 403], ['viewer', 403, 403], ['worker', 403, 403]] as const) {
        const key = await t.keyFor(role);
        assert.equal((await t.call('GET', `/v1/webhooks/${sub.id}`, { key })).statusCode, read, `${role} read`);
        assert.equal((await t.call('GET', `/v1/webhooks/${sub.id}/deliveries`, { key })).statusCode, read, `${role} read log`);
        assert.equal((await t.call('POST', '/v1/webhooks', { key, body })).statusCode, manage, `${role} create`);
        assert.equal((await t.call('POST', `/v1/webhooks/${sub.id}/rotate-secret`, { key, body: {} })).statusCode, manage === 201 ? 200 : 403, `${role} rotate`);
      }
      const other = await t.engine.tenants.create({ name: 'Other tenant' });
      const otherAdmin = await t.keyFor('admin', other.id);
      for (const [m, u] of [['GET', `/v1/webhooks/${sub.id}`], ['PATCH', `/v1/webhooks/${sub.id}`], ['DELETE', `/v1/webhooks/${sub.id}`], ['POST', `/v1/webhooks/${sub.id}/rotate-secret`]] as const) {
        const r = await t.call(m, u, { key: otherAdmin, body: m === 'GET' || m === 'DELETE' ? undefined : {} });
        assert.equal(r.statusCode, 404, `${m} ${u}: ${r.body}`);
      }
      assert.equal((await t.call('GET', `/v1/webhooks/${sub.id}`)).json().secret_version, 3, 'two rotations (admin, developer), none by other roles or the other tenant');
    });
  });
}
