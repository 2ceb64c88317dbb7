import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

interface AuditJson {
  id: string;
  at: string;
  actor: string | null;
  actor_role: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  status_code: number | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

/** Put into request bodies: it must never show up in the audit trail. */
const BODY_MARKER = 'body-marker-7f3a9c';

for (const d of await dialects()) {
  describe(`audit trail (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let adminKeyId: string;
    const plaintextKeys: string[] = [];

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      plaintextKeys.push(t.adminKey);
      const keys = (await t.call('GET', '/v1/keys')).json().data as { id: string; name: string | null }[];
      adminKeyId = keys.find((k) => k.name === 'test admin')!.id;
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    /** The audit rows of one request, once its background write has landed. */
    const rowsOf = async (requestId: string): Promise<AuditJson[]> => {
      // onResponse runs once the response is finished, which may be just after inject resolves.
      await new Promise((resolve) => setImmediate(resolve));
      await t.engine.audit.settled();
      const r = await t.call('GET', `/v1/audit?limit=500`);
      assert.equal(r.statusCode, 200, r.body);
      return (r.json().data as AuditJson[]).filter((a) => a.request_id === requestId);
    };
    const oneRowOf = async (res: { headers: Record<string, unknown> }) => {
      const rows = await rowsOf(String(res.headers['x-request-id']));
      assert.equal(rows.length, 1, `one audit row for ${res.headers['x-request-id']}: ${JSON.stringify(rows)}`);
      return rows[0];
    };

    it('records deploy, create run, cancel, key create and revoke: actor, action, target, outcome, request id', async () => {
      const deploy = await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
      assert.equal(deploy.statusCode, 201);
      const deployed = await oneRowOf(deploy);
      assert.deepEqual(
        { ...deployed, id: undefined, at: undefined },
        {
          id: undefined,
          at: undefined,
          actor: adminKeyId,
          actor_role: 'admin',
          action: 'POST /v1/agents',
          target_type: 'agent',
          target_id: 'hello',
          outcome: 'ok',
          status_code: 201,
          request_id: deploy.headers['x-request-id'],
          details: {},
        },
      );
      assert.ok(Math.abs(Date.parse(deployed.at) - Date.now()) < 60_000);

      const create = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: BODY_MARKER } } });
      const run = create.json();
      const created = await oneRowOf(create);
      assert.deepEqual([created.action, created.target_type, created.target_id, created.outcome, created.status_code], ['POST /v1/runs', 'run', run.id, 'ok', 201]);

      const cancel = await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: { reason: BODY_MARKER } });
      assert.equal(cancel.statusCode, 200);
      const cancelled = await oneRowOf(cancel);
      assert.deepEqual([cancelled.action, cancelled.target_type, cancelled.target_id, cancelled.outcome], ['POST /v1/runs/{id}/cancel', 'run', run.id, 'ok']);

      const again = await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: {} });
      assert.equal(again.statusCode, 409);
      const conflict = await oneRowOf(again);
      assert.deepEqual([conflict.outcome, conflict.status_code, conflict.details.error_code], ['error', 409, 'RUN_ALREADY_TERMINAL']);

      const keyCreate = await t.call('POST', '/v1/keys', { body: { role: 'viewer', name: BODY_MARKER } });
      const key = keyCreate.json();
      plaintextKeys.push(key.key);
      const keyCreated = await oneRowOf(keyCreate);
      assert.deepEqual([keyCreated.action, keyCreated.target_type, keyCreated.target_id], ['POST /v1/keys', 'key', key.id]);

      const revoke = await t.call('DELETE', `/v1/keys/${key.id}`);
      const revoked = await oneRowOf(revoke);
      assert.deepEqual([revoked.action, revoked.target_type, revoked.target_id, revoked.outcome, revoked.status_code], ['DELETE /v1/keys/{id}', 'key', key.id, 'ok', 200]);

      const disable = await t.call('POST', '/v1/agents/hello/endpoints/greet/disable');
      const disabled = await oneRowOf(disable);
      assert.deepEqual([disabled.action, disabled.target_type, disabled.target_id, disabled.details], ['POST /v1/agents/{name}/endpoints/{endpoint}/disable', 'agent', 'hello', { params: { endpoint: 'greet' } }]);
      await t.call('POST', '/v1/agents/hello/endpoints/greet/enable');
    });

    it('records a 403 denial and a 422 failure with their error codes', async () => {
      const viewer = (await t.call('POST', '/v1/keys', { body: { role: 'viewer' } })).json();
      plaintextKeys.push(viewer.key);
      const denied = await t.call('POST', '/v1/runs', { key: viewer.key, body: { agent: 'hello', endpoint: 'greet', input: { name: BODY_MARKER } } });
      assert.equal(denied.statusCode, 403);
      const row = await oneRowOf(denied);
      assert.deepEqual(
        [row.actor, row.actor_role, row.action, row.target_type, row.target_id, row.outcome, row.status_code, row.details.error_code],
        [viewer.id, 'viewer', 'POST /v1/runs', 'run', null, 'denied', 403, 'FORBIDDEN'],
      );

      const invalid = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { wrong: BODY_MARKER } } });
      assert.equal(invalid.statusCode, 422);
      const failed = await oneRowOf(invalid);
      assert.deepEqual([failed.actor, failed.outcome, failed.status_code, failed.details.error_code, failed.target_id], [adminKeyId, 'error', 422, 'INPUT_INVALID', null]);

      const malformed = await t.call('POST', '/v1/runs', { body: '{"agent":', headers: { 'content-type': 'application/json' } });
      assert.equal(malformed.statusCode, 400);
      assert.equal((await oneRowOf(malformed)).details.error_code, 'INVALID_JSON');
    });

    it('attributes a revoked key’s 401 to its tenant; an unknown key has no tenant and is not recorded', async () => {
      const k = (await t.call('POST', '/v1/keys', { body: { role: 'operator' } })).json();
      plaintextKeys.push(k.key);
      await t.call('DELETE', `/v1/keys/${k.id}`);
      const refused = await t.call('POST', '/v1/runs', { key: k.key, body: { agent: 'hello', endpoint: 'greet', input: { name: 'x' } } });
      assert.equal(refused.statusCode, 401);
      const row = await oneRowOf(refused);
      assert.deepEqual([row.actor, row.actor_role, row.outcome, row.status_code, row.details.reason], [k.id, 'operator', 'denied', 401, 'key_revoked']);
      // An expired key, likewise, with the reason that tells it from a revoked one.
      const e = (await t.call('POST', '/v1/keys', { body: { role: 'operator', expires_at: new Date(Date.now() + 3_600_000).toISOString() } })).json();
      plaintextKeys.push(e.key);
      await t.store.allTenants(t.store.db).updateTable('api_keys').set({ expires_at: Date.now() - 1 }).where('id', '=', e.id).execute();
      const expired = await t.call('POST', '/v1/runs', { key: e.key, body: { agent: 'hello', endpoint: 'greet', input: { name: 'x' } } });
      assert.equal(expired.statusCode, 401);
      const erow = await oneRowOf(expired);
      assert.deepEqual([erow.actor, erow.outcome, erow.details.reason], [e.id, 'denied', 'key_expired']);
      const unknown = await t.call('POST', '/v1/runs', { key: 'agd_not_a_key', body: {} });
      assert.equal(unknown.statusCode, 401);
      assert.equal((await rowsOf(String(unknown.headers['x-request-id']))).length, 0);
    });

    it('records lease completions, failures, releases and non-empty polls, but not heartbeats, event appends or empty polls', async () => {
      const worker = (await t.call('POST', '/v1/keys', { body: { role: 'worker', agents: ['hello'] } })).json();
      plaintextKeys.push(worker.key);
      const w = (url: string, body: unknown = {}) => t.call('POST', url, { key: worker.key, body });
      const empty = await w('/v1/worker/lease', { agent: 'hello', wait_ms: 0 });
      assert.deepEqual(empty.json(), { tasks: [] });
      assert.equal((await rowsOf(String(empty.headers['x-request-id']))).length, 0, 'an empty poll is not recorded');

      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: `n${i}` } } })).json().id);
      const poll = await w('/v1/worker/lease', { agent: 'hello', wait_ms: 0, max_tasks: 3 });
      const tasks = poll.json().tasks as { lease_id: string; run_id: string }[];
      assert.equal(tasks.length, 3);
      const polled = await oneRowOf(poll);
      assert.deepEqual([polled.action, polled.target_type, polled.details.count], ['POST /v1/worker/lease', null, 3]);

      const [a, b, c] = tasks;
      const hb = await w(`/v1/leases/${a.lease_id}/heartbeat`);
      assert.equal(hb.statusCode, 200);
      const ev = await w(`/v1/leases/${a.lease_id}/events`, { events: [{ type: 'run.log', data: { level: 'info', message: BODY_MARKER } }] });
      assert.equal(ev.statusCode, 200);
      const done = await w(`/v1/leases/${a.lease_id}/complete`, { output: { greeting: BODY_MARKER } });
      const failed = await w(`/v1/leases/${b.lease_id}/fail`, { error: { type: 'boom', message: BODY_MARKER } });
      const released = await w(`/v1/leases/${c.lease_id}/release`);
      const finding = await w(`/v1/leases/${c.lease_id}/findings`, { findings: [{ severity: 'info', summary: BODY_MARKER }] });
      assert.equal(finding.statusCode, 409);

      assert.equal((await rowsOf(String(hb.headers['x-request-id']))).length, 0);
      assert.equal((await rowsOf(String(ev.headers['x-request-id']))).length, 0);
      for (const [res, action, lease, outcome] of [
        [done, 'POST /v1/leases/{lease_id}/complete', a.lease_id, 'ok'],
        [failed, 'POST /v1/leases/{lease_id}/fail', b.lease_id, 'ok'],
        [released, 'POST /v1/leases/{lease_id}/release', c.lease_id, 'ok'],
        [finding, 'POST /v1/leases/{lease_id}/findings', c.lease_id, 'error'],
      ] as const) {
        const row = await oneRowOf(res);
        assert.deepEqual([row.actor, row.actor_role, row.action, row.target_type, row.target_id, row.outcome], [worker.id, 'worker', action, 'lease', lease, outcome]);
      }
      // A denied heartbeat is still recorded: it is rare, and it is what an audit is for.
      const viewer = (await t.call('POST', '/v1/keys', { body: { role: 'viewer' } })).json();
      plaintextKeys.push(viewer.key);
      const deniedHb = await t.call('POST', `/v1/leases/${a.lease_id}/heartbeat`, { key: viewer.key, body: {} });
      assert.equal(deniedHb.statusCode, 403);
      assert.equal((await oneRowOf(deniedHb)).outcome, 'denied');
    });

    it('marks idempotent replays and does not record reads', async () => {
      const body = { agent: 'hello', endpoint: 'greet', input: { name: 'idem' } };
      const first = await t.call('POST', '/v1/runs', { body, headers: { 'idempotency-key': 'audit-idem-1' } });
      const replay = await t.call('POST', '/v1/runs', { body, headers: { 'idempotency-key': 'audit-idem-1' } });
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual((await oneRowOf(first)).details, {});
      const replayed = await oneRowOf(replay);
      assert.deepEqual([replayed.details.idempotent_replayed, replayed.target_id], [true, first.json().id]);
      const read = await t.call('GET', `/v1/runs/${first.json().id}`);
      assert.equal((await rowsOf(String(read.headers['x-request-id']))).length, 0);
    });

    it('never holds an API key or a request body', async () => {
      await t.engine.audit.settled();
      // The whole table, every tenant's rows: none may hold a key or a body.
      const rows = await t.store.allTenants(t.store.db).selectFrom('audit_log').selectAll().execute();
      assert.ok(rows.length >= 15, `rows: ${rows.length}`);
      const dump = JSON.stringify(rows);
      assert.ok(!dump.includes(BODY_MARKER), 'no request body content');
      for (const key of plaintextKeys) assert.ok(!dump.includes(key), 'no API key');
      assert.ok(!/agd_[A-Za-z0-9]{20}/.test(dump), 'nothing shaped like a key');
    });

    it('lists with filters and pages newest first; only admins may read it', async () => {
      const page = async (query: string) => {
        const r = await t.call('GET', `/v1/audit?${query}`);
        assert.equal(r.statusCode, 200, r.body);
        return r.json() as { data: AuditJson[]; next_cursor: string | null };
      };
      const all = (await page('limit=500')).data;
      const times = all.map((a) => Date.parse(a.at));
      assert.deepEqual(times, [...times].sort((x, y) => y - x), 'newest first');
      assert.ok((await page('outcome=denied')).data.every((a) => a.outcome === 'denied'));
      assert.ok((await page('outcome=denied')).data.length >= 3);
      const cancels = (await page(`action=${encodeURIComponent('POST /v1/runs/{id}/cancel')}`)).data;
      assert.equal(cancels.length, 2);
      const target = cancels[0].target_id!;
      assert.deepEqual((await page(`target_type=run&target_id=${target}`)).data.map((a) => a.action).sort(), ['POST /v1/runs', 'POST /v1/runs/{id}/cancel', 'POST /v1/runs/{id}/cancel']);
      assert.ok((await page(`actor=${adminKeyId}`)).data.every((a) => a.actor === adminKeyId));
      const future = new Date(Date.now() + 60_000).toISOString();
      assert.equal((await page(`since=${future}`)).data.length, 0);
      assert.equal((await page(`until=${encodeURIComponent(all.at(-1)!.at)}`)).data.length, 0);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const p = await page(`limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...p.data.map((a) => a.id));
        cursor = p.next_cursor;
      } while (cursor);
      // The page reads themselves are GETs and add no rows, so the walk sees exactly `all`.
      assert.deepEqual(seen, all.map((a) => a.id));

      for (const role of ['viewer', 'developer', 'operator', 'worker'] as const) {
        const r = await t.call('GET', '/v1/audit', { key: await t.keyFor(role) });
        assert.equal(r.statusCode, 403, role);
      }
      assert.equal((await t.call('GET', '/v1/audit?outcome=maybe')).statusCode, 400);
      assert.equal((await t.call('GET', '/v1/audit?cursor=nonsense')).statusCode, 400);
    });

    it('is append-only in the database: UPDATE and DELETE fail and change nothing', async () => {
      // Whole-table writes on purpose (every tenant's rows): the database itself must refuse them.
      const all = t.store.allTenants(t.store.db);
      const before = await all.selectFrom('audit_log').selectAll().orderBy('id').execute();
      assert.ok(before.length > 0);
      await assert.rejects(all.updateTable('audit_log').set({ outcome: 'ok', actor: null }).execute(), /append-only/);
      await assert.rejects(all.deleteFrom('audit_log').where('id', '=', before[0].id).execute(), /append-only/);
      await assert.rejects(all.deleteFrom('audit_log').execute(), /append-only/);
      assert.deepEqual(await all.selectFrom('audit_log').selectAll().orderBy('id').execute(), before);
    });
  });
}
