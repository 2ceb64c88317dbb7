/**
 * Inbound webhook triggers on both databases, over real HTTP sockets, deliveries signed by the
 * official `standardwebhooks` package: create (secret shown once, sealed at rest), list/get/
 * update/delete without it; a signed delivery starts one run; a wrong signature, missing headers,
 * a timestamp 301 s old or ahead, an unknown trigger: the same 401 and nothing written; a replayed
 * webhook-id: 200 with the original run, nothing started; rotation: both secrets verify during
 * the overlap, only the new one after; bearer mode; mappings (pointer, template) and their
 * failures as clear 422s, logged; the per-trigger rate limit (429 with Retry-After); workflow targets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

let seq = 0;
const msgId = () => `msg_test_${process.pid}_${++seq}`;

/** Standard Webhooks headers for `body`, signed by `secret` (the official library), at `at`. */
function signed(secret: string, body: string, opts: { id?: string; at?: Date } = {}): Record<string, string> {
  const id = opts.id ?? msgId();
  const at = opts.at ?? new Date();
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new StandardWebhook(secret).sign(id, at, body) };
}

for (const d of await dialects()) {
  describe(`inbound webhook triggers (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let base: string;

    const post = async (id: string, body: string, headers: Record<string, string>) => {
      const r = await fetch(`${base}/v1/hooks/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const text = await r.text();
      return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
    };
    const runCount = async () => Number((await t.store.db.selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', t.tenantId).executeTakeFirstOrThrow()).n);
    const create = async (body: Record<string, unknown>) => {
      const r = await t.call('POST', '/v1/triggers', { body });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const hello = { target: { agent: 'hello', endpoint: 'greet' } };

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      base = await t.listen();
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      const wf = await t.call('POST', '/v1/workflows', {
        body: {
          apiVersion: 'agentd.dev/v1',
          kind: 'Workflow',
          metadata: { name: 'greet-twice' },
          spec: { input: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'] }, steps: [{ id: 'a', agent: 'hello', endpoint: 'greet', input: { name: '{% input.who %}' } }] },
        },
      });
      assert.equal(wf.statusCode, 201, wf.body);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('creates a trigger with a url and a secret shown once; list, get, update never show it; the secret is sealed at rest; delete', async () => {
      const trg = await create({ ...hello, name: 'orders', description: 'shop orders' });
      assert.match(trg.id, /^trg_/);
      assert.match(trg.secret, /^whsec_/);
      assert.ok(trg.url.endsWith(`/v1/hooks/${trg.id}`), trg.url);
      // The url is absolute on the scheme and host the caller used.
      const viaSocket = await fetch(`${base}/v1/triggers/${trg.id}`, { headers: { authorization: `Bearer ${t.adminKey}` } });
      assert.equal(((await viaSocket.json()) as { url: string }).url, `${base}/v1/hooks/${trg.id}`);
      assert.deepEqual([trg.name, trg.auth, trg.mapping, trg.rate_limit, trg.secret_version], ['orders', 'signature', null, { count: 600, period_seconds: 60 }, 1]);
      const got = await t.call('GET', `/v1/triggers/${trg.id}`);
      const list = await t.call('GET', '/v1/triggers');
      const patched = await t.call('PATCH', `/v1/triggers/${trg.id}`, { body: { description: null, mapping: { pointer: '/order' } } });
      for (const r of [got, list, patched]) {
        assert.equal(r.statusCode, 200, r.body);
        assert.ok(!r.body.includes(trg.secret) && !r.body.includes('"secret"'), r.body);
      }
      assert.deepEqual([patched.json().description, patched.json().mapping], [null, { pointer: '/order' }]);
      const raw = JSON.stringify(await t.store.db.selectFrom('trigger_secrets').selectAll().where('tenant_id', '=', t.tenantId).execute());
      assert.ok(!raw.includes(trg.secret) && !raw.includes(trg.secret.slice(6)), 'sealed, never plaintext');
      assert.equal((await t.call('POST', '/v1/triggers', { body: { ...hello, name: 'orders' } })).json().error.code, 'TRIGGER_NAME_TAKEN');
      assert.deepEqual((await t.call('DELETE', `/v1/triggers/${trg.id}`)).json(), { id: trg.id, deleted: true });
      assert.equal((await t.call('GET', `/v1/triggers/${trg.id}`)).json().error.code, 'TRIGGER_NOT_FOUND');
      const body = JSON.stringify({ name: 'gone' });
      assert.equal((await post(trg.id, body, signed(trg.secret, body))).status, 401, 'a deleted trigger verifies nothing');
    });

    it('refuses targets that do not exist (404 naming the field), bad mappings and bad secrets (422 TRIGGER_INVALID), unknown fields (400)', async () => {
      const cases: [Record<string, unknown>, number, string][] = [
        [{ target: { agent: 'nope', endpoint: 'greet' } }, 404, 'AGENT_NOT_FOUND'],
        [{ target: { agent: 'hello', endpoint: 'nope' } }, 404, 'ENDPOINT_NOT_FOUND'],
        [{ target: { workflow: 'nope' } }, 404, 'WORKFLOW_NOT_FOUND'],
        [{ ...hello, mapping: { template: { name: '{% (body.x %}' } } }, 422, 'TRIGGER_INVALID'],
        [{ ...hello, mapping: { template: { name: '{% input.x %}' } } }, 422, 'TRIGGER_INVALID'],
        [{ ...hello, mapping: { pointer: '/a~2' } }, 422, 'TRIGGER_INVALID'],
        [{ ...hello, secret: 'not-a-whsec-secret-at-all-really' }, 422, 'TRIGGER_INVALID'],
        [{ ...hello, secret: `whsec_${Buffer.alloc(8).toString('base64')}xxxxxxxxxxxxxx` }, 422, 'TRIGGER_INVALID'],
        [{ ...hello, tenant_id: 'other' }, 400, 'VALIDATION_ERROR'],
        [{ ...hello, auth: 'hmac' }, 400, 'VALIDATION_ERROR'],
      ];
      for (const [body, status, code] of cases) {
        const r = await t.call('POST', '/v1/triggers', { body });
        assert.equal(r.statusCode, status, `${JSON.stringify(body)}: ${r.body}`);
        assert.equal(r.json().error.code, code, JSON.stringify(body));
      }
      assert.equal(Number((await t.store.db.selectFrom('triggers').select((eb) => eb.fn.countAll<number>().as('n')).where('name', 'is', null).where('tenant_id', '=', t.tenantId).where('target', 'like', '%nope%').executeTakeFirstOrThrow()).n), 0);
    });

    it('a signed delivery starts one run (202); a replayed webhook-id answers 200 with the original run and starts nothing', async () => {
      const trg = await create(hello);
      const body = JSON.stringify({ name: 'hook' });
      const headers = signed(trg.secret, body);
      const n0 = await runCount();
      const first = await post(trg.id, body, headers);
      assert.equal(first.status, 202, first.text);
      const a = first.json();
      assert.deepEqual([a.duplicate, a.trigger_id, a.run.input, a.run.status, a.run.metadata.trigger.id, a.run.metadata.trigger.message_id], [false, trg.id, { name: 'hook' }, 'queued', trg.id, headers['webhook-id']]);
      assert.equal(await runCount(), n0 + 1);
      // The same id, re-signed later (as senders retry): the same run.
      const again = await post(trg.id, body, signed(trg.secret, body, { id: headers['webhook-id'] }));
      assert.equal(again.status, 200, again.text);
      assert.deepEqual([again.json().duplicate, again.json().run_id, again.json().delivery_id], [true, a.run_id, a.delivery_id]);
      // Concurrent repeats of one new id: one run between them (several rounds: the repeats share
      // write transactions with the winner in varying ways).
      for (let round = 0; round < 3; round++) {
        const id = msgId();
        const racing = await Promise.all(Array.from({ length: 8 }, () => post(trg.id, body, signed(trg.secret, body, { id }))));
        assert.deepEqual(racing.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 202], racing.map((r) => r.text).join('\n'));
        assert.equal(new Set(racing.map((r) => r.json().run_id)).size, 1);
      }
      assert.equal(await runCount(), n0 + 4);
      const log = (await t.call('GET', `/v1/triggers/${trg.id}/deliveries?limit=500`)).json().data;
      assert.deepEqual(log.map((x: { outcome: string }) => x.outcome).sort(), [...Array(22).fill('duplicate'), ...Array(4).fill('started')]);
      assert.equal((await t.call('GET', `/v1/triggers/${trg.id}/deliveries?outcome=started`)).json().data.length, 4);
    });

    it('keeps receipts and the delivery log 7 days: the sweeper drops older ones, after which a message id is new again', async () => {
      const trg = await create(hello);
      const body = JSON.stringify({ name: 'old' });
      const id = msgId();
      const first = await post(trg.id, body, signed(trg.secret, body, { id }));
      assert.equal(first.status, 202);
      assert.equal((await post(trg.id, body, signed(trg.secret, body, { id }))).status, 200);
      const eightDaysAgo = Date.now() - 8 * 86_400_000;
      await t.store.writer.write(async ({ trx }) => {
        for (const table of ['trigger_receipts', 'trigger_deliveries'] as const) await trx.updateTable(table).set({ received_at: eightDaysAgo }).where('tenant_id', '=', t.tenantId).where('trigger_id', '=', trg.id).execute();
      });
      const swept = await t.engine.sweeper.sweepOnce();
      assert.equal(swept.triggerRowsDeleted, 3, 'one receipt, two log rows');
      assert.deepEqual((await t.call('GET', `/v1/triggers/${trg.id}/deliveries`)).json().data, []);
      const later = await post(trg.id, body, signed(trg.secret, body, { id }));
      assert.equal(later.status, 202, 'past the retention, the id starts a run again');
      assert.notEqual(later.json().run_id, first.json().run_id);
    });

    it('anything unverified is the same 401 HOOK_UNVERIFIED, writes nothing, and says nothing of whether the trigger exists', async () => {
      const trg = await create(hello);
      const body = JSON.stringify({ name: 'x' });
      const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      // Made at the moment each is sent (a loaded machine may take seconds between them).
      const at = (offsetMs: number) => new Date(Date.now() + offsetMs);
      const sends: [string, string, () => Record<string, string>][] = [
        ['wrong secret', trg.id, () => signed(other, body)],
        ['forged signature', trg.id, () => ({ ...signed(trg.secret, body), 'webhook-signature': `v1,${Buffer.alloc(32, 1).toString('base64')}` })],
        ['no headers', trg.id, () => ({})],
        ['no signature', trg.id, () => (({ 'webhook-signature': _s, ...h }) => h)(signed(trg.secret, body))],
        ['301 s old', trg.id, () => signed(trg.secret, body, { at: at(-301_000) })],
        ['301 s ahead', trg.id, () => signed(trg.secret, body, { at: at(301_000) })],
        ['not a number', trg.id, () => ({ ...signed(trg.secret, body), 'webhook-timestamp': '12ab' })],
        ['body changed after signing', trg.id, () => signed(trg.secret, JSON.stringify({ name: 'y' }))],
        ['a bearer token on a signature trigger', trg.id, () => ({ authorization: `Bearer ${trg.secret}` })],
        ['unknown trigger', 'trg_0000000000000000000000', () => signed(trg.secret, body)],
      ];
      const n0 = await runCount();
      const logged0 = (await t.store.db.selectFrom('trigger_deliveries').selectAll().where('tenant_id', '=', t.tenantId).execute()).length;
      const bodies = new Set<string>();
      for (const [what, id, headers] of sends) {
        const r = await post(id, body, headers());
        assert.equal(r.status, 401, `${what}: ${r.text}`);
        const e = r.json().error;
        assert.equal(e.code, 'HOOK_UNVERIFIED', what);
        assert.ok(e.request_id, what);
        bodies.add(JSON.stringify({ ...e, request_id: null }));
      }
      assert.equal(bodies.size, 1, `one answer for every reason: ${[...bodies].join('\n')}`);
      assert.equal(await runCount(), n0);
      assert.equal((await t.store.db.selectFrom('trigger_deliveries').selectAll().where('tenant_id', '=', t.tenantId).execute()).length, logged0, 'nothing logged for unverified deliveries');
      // A timestamp within the tolerance, either way, still verifies.
      assert.equal((await post(trg.id, body, signed(trg.secret, body, { at: at(-290_000) }))).status, 202);
      assert.equal((await post(trg.id, body, signed(trg.secret, body, { at: at(240_000) }))).status, 202);
    });

    it('rotation: the old secret verifies during the overlap beside the new one, and not after it', async () => {
      const trg = await create(hello);
      const body = JSON.stringify({ name: 'rot' });
      const r = await t.call('POST', `/v1/triggers/${trg.id}/rotate-secret`, { body: { overlap_seconds: 3600 } });
      assert.equal(r.statusCode, 200, r.body);
      const rotated = r.json();
      assert.notEqual(rotated.secret, trg.secret);
      assert.equal(rotated.secret_version, 2);
      assert.equal((await post(trg.id, body, signed(trg.secret, body))).status, 202, 'old secret, within the overlap');
      assert.equal((await post(trg.id, body, signed(rotated.secret, body))).status, 202, 'new secret');
      // A header with both signatures (a sender mid-switch) verifies too.
      const h = signed(rotated.secret, body);
      const both = { ...h, 'webhook-signature': `${new StandardWebhook(other32()).sign(h['webhook-id'], new Date(Number(h['webhook-timestamp']) * 1000), body)} ${h['webhook-signature']}` };
      assert.equal((await post(trg.id, body, both)).status, 202);
      // Overlap 0: the previous (second) secret stops at once, the first was already retired.
      const third = (await t.call('POST', `/v1/triggers/${trg.id}/rotate-secret`, { body: { overlap_seconds: 0 } })).json();
      for (const old of [trg.secret, rotated.secret]) assert.equal((await post(trg.id, body, signed(old, body))).status, 401);
      assert.equal((await post(trg.id, body, signed(third.secret, body))).status, 202);
      // The sender's own secret, rotated in.
      const mine = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
      const fourth = (await t.call('POST', `/v1/triggers/${trg.id}/rotate-secret`, { body: { secret: mine, overlap_seconds: 60 } })).json();
      assert.equal(fourth.secret, mine);
      assert.equal((await post(trg.id, body, signed(mine, body))).status, 202);
      assert.equal((await post(trg.id, body, signed(third.secret, body))).status, 202, 'the previous one within its 60 s');
    });

    it('bearer mode: the token verifies, a wrong or missing one is 401; webhook-id or Idempotency-Key deduplicates', async () => {
      const trg = await create({ ...hello, auth: 'bearer' });
      assert.match(trg.secret, /^whtok_/);
      const body = JSON.stringify({ name: 'bearer' });
      assert.equal((await post(trg.id, body, { authorization: `Bearer ${trg.secret}` })).status, 202);
      assert.equal((await post(trg.id, body, { authorization: `Bearer ${trg.secret}` })).status, 202, 'no id: each delivery is new');
      assert.equal((await post(trg.id, body, { authorization: `Bearer ${trg.secret}x` })).status, 401);
      assert.equal((await post(trg.id, body, {})).status, 401);
      assert.equal((await post(trg.id, body, signed(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, body))).status, 401);
      const first = await post(trg.id, body, { authorization: `Bearer ${trg.secret}`, 'idempotency-key': 'order-1' });
      const again = await post(trg.id, body, { authorization: `Bearer ${trg.secret}`, 'idempotency-key': 'order-1' });
      assert.deepEqual([first.status, again.status, again.json().run_id], [202, 200, first.json().run_id]);
    });

    it('mappings: a JSON pointer, a template of expressions; failures are clear 422s, logged as rejected, and start nothing', async () => {
      const pointer = await create({ ...hello, mapping: { pointer: '/data/customer' } });
      const template = await create({ ...hello, mapping: { template: { name: '{% $uppercase(body.order.customer) & " #" & $string(body.order.id) %}' } } });
      const send = (trg: { id: string; secret: string }, value: unknown) => {
        const body = typeof value === 'string' ? value : JSON.stringify(value);
        return post(trg.id, body, signed(trg.secret, body));
      };
      const ok1 = await send(pointer, { data: { customer: { name: 'Ada' } } });
      assert.equal(ok1.status, 202, ok1.text);
      assert.deepEqual(ok1.json().run.input, { name: 'Ada' });
      const ok2 = await send(template, { order: { id: 7, customer: 'bob' } });
      assert.equal(ok2.status, 202, ok2.text);
      assert.deepEqual(ok2.json().run.input, { name: 'BOB #7' });
      const n0 = await runCount();
      const bad: [{ id: string; secret: string }, unknown, string, RegExp][] = [
        [pointer, { data: {} }, 'TRIGGER_PAYLOAD_INVALID', /nothing at \/data\/customer/],
        [pointer, 'not json{', 'TRIGGER_PAYLOAD_INVALID', /not JSON/],
        [template, { order: { id: 1, customer: 5 } }, 'TRIGGER_PAYLOAD_INVALID', /mapping failed/],
        [pointer, { data: { customer: { nope: 1 } } }, 'INPUT_INVALID', /schema/],
      ];
      for (const [trg, value, code, message] of bad) {
        const r = await send(trg, value);
        assert.equal(r.status, 422, r.text);
        assert.equal(r.json().error.code, code, r.text);
        assert.match(r.json().error.message, message);
      }
      assert.equal(await runCount(), n0, 'nothing started');
      const rejected = (await t.call('GET', `/v1/triggers/${pointer.id}/deliveries?outcome=rejected`)).json().data;
      assert.deepEqual(rejected.map((x: { error: { code: string } }) => x.error.code).sort(), ['INPUT_INVALID', 'TRIGGER_PAYLOAD_INVALID', 'TRIGGER_PAYLOAD_INVALID']);
      assert.ok(rejected.every((x: { status_code: number; run_id: string | null }) => x.status_code === 422 && x.run_id === null));
    });

    it('a workflow target starts a workflow run with the mapped input', async () => {
      const trg = await create({ target: { workflow: 'greet-twice' }, mapping: { template: { who: '{% body.user %}' } } });
      const body = JSON.stringify({ user: 'wf' });
      const r = await post(trg.id, body, signed(trg.secret, body));
      assert.equal(r.status, 202, r.text);
      assert.deepEqual([r.json().run.kind ?? 'workflow', r.json().run.agent, r.json().run.input], ['workflow', 'greet-twice', { who: 'wf' }]);
      const bad = JSON.stringify({ nobody: 1 });
      assert.equal((await post(trg.id, bad, signed(trg.secret, bad))).json().error.code, 'INPUT_INVALID');
    });

    it('the declarative seam: putByName adds, leaves unchanged, changes (a new secret rotated in with the overlap), and deleteByName removes', async () => {
      const a = `whsec_${Buffer.alloc(32, 21).toString('base64')}`;
      const b = `whsec_${Buffer.alloc(32, 22).toString('base64')}`;
      const spec = { target: { agent: 'hello', endpoint: 'greet' }, mapping: { pointer: '/p' }, secret: a };
      const added = await t.engine.triggers.putByName(t.tenantId, 'from-file', spec);
      assert.equal(added.change, 'added');
      assert.ok(!('secret' in added.trigger));
      assert.equal((await t.engine.triggers.putByName(t.tenantId, 'from-file', spec)).change, 'unchanged');
      const body = JSON.stringify({ p: { name: 'file' } });
      assert.equal((await post(added.trigger.id, body, signed(a, body))).status, 202);
      const changed = await t.engine.triggers.putByName(t.tenantId, 'from-file', { ...spec, secret: b, rate_limit: { count: 5, period_seconds: 1 } });
      assert.deepEqual([changed.change, changed.trigger.id, changed.trigger.secret_version, changed.trigger.rate_limit], ['changed', added.trigger.id, 2, { count: 5, period_seconds: 1 }]);
      assert.equal((await post(added.trigger.id, body, signed(b, body))).status, 202, 'the new secret');
      assert.equal((await post(added.trigger.id, body, signed(a, body))).status, 202, 'the old one, within the overlap');
      await assert.rejects(t.engine.triggers.putByName(t.tenantId, 'from-file', { ...spec, secret: b, auth: 'bearer' }), /delete it to change/);
      assert.deepEqual((await t.engine.triggers.listNamed(t.tenantId)).map((x) => x.name).filter((n) => n === 'from-file'), ['from-file']);
      assert.equal(await t.engine.triggers.deleteByName(t.tenantId, 'from-file'), true);
      assert.equal(await t.engine.triggers.deleteByName(t.tenantId, 'from-file'), false);
      assert.equal((await post(added.trigger.id, body, signed(b, body))).status, 401);
    });

    it('rate limits each trigger: past its rate, verified deliveries get 429 with Retry-After and start nothing; other triggers are not affected', async () => {
      const slow = await create({ ...hello, rate_limit: { count: 3, period_seconds: 3600 } });
      const other = await create(hello);
      const body = JSON.stringify({ name: 'rate' });
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await post(slow.id, body, signed(slow.secret, body))).status);
      assert.deepEqual(codes, [202, 202, 202, 429, 429]);
      const limited = await post(slow.id, body, signed(slow.secret, body));
      assert.equal(limited.json().error.code, 'RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal((await post(other.id, body, signed(other.secret, body))).status, 202);
      // Unverified deliveries do not spend the trigger's budget (they answer 401, not 429).
      assert.equal((await post(other.id, body, signed(slow.secret, body))).status, 401);
    });

    it('a replay to a throttled trigger is answered 200 with its original run, not 429: duplicates are found before the rate', async () => {
      const slow = await create({ ...hello, rate_limit: { count: 1, period_seconds: 3600 } });
      const body = JSON.stringify({ name: 'replayed' });
      const started = await post(slow.id, body, signed(slow.secret, body, { id: 'msg_replayed_1' }));
      assert.equal(started.status, 202, started.text);
      assert.equal((await post(slow.id, body, signed(slow.secret, body, { id: 'msg_replayed_2' }))).status, 429, 'the budget is spent');
      const replay = await post(slow.id, body, signed(slow.secret, body, { id: 'msg_replayed_1' }));
      assert.equal(replay.status, 200, replay.text);
      assert.deepEqual([replay.json().duplicate, replay.json().run_id], [true, started.json().run_id]);
    });
  });
}

/** A fixed secret nobody else uses (a signature that must not verify). */
function other32(): string {
  return `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
}
