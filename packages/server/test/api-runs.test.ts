import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

for (const d of await dialects()) {
  describe(`runs API (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      const r = await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
      assert.equal(r.statusCode, 201, r.body);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('creates a queued run with a run.queued event and reads it back', async () => {
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'Ada' }, metadata: { k: 'v' }, priority: 5 } });
      assert.equal(r.statusCode, 201, r.body);
      const run = r.json();
      assert.match(run.id, /^run_/);
      assert.equal(run.status, 'queued');
      assert.equal(run.agent_version, 1);
      assert.deepEqual(run.input, { name: 'Ada' });
      assert.deepEqual(run.metadata, { k: 'v' });
      assert.equal(run.priority, 5);
      assert.equal(run.attempts, 0);
      const g = await t.call('GET', `/v1/runs/${run.id}`);
      assert.equal(g.statusCode, 200);
      assert.deepEqual(g.json(), run);
      const ev = await t.call('GET', `/v1/runs/${run.id}/events`, { headers: { accept: 'application/json' } });
      assert.deepEqual(ev.json().data.map((e: { seq: number; type: string }) => [e.seq, e.type]), [[1, 'run.queued']]);
    });

    it('rejects input that breaks the endpoint schema with 422 and field paths', async () => {
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 5, extra: true } } });
      assert.equal(r.statusCode, 422);
      const e = r.json().error;
      assert.equal(e.code, 'INPUT_INVALID');
      const paths = e.details.map((p: { path: string }) => p.path).sort();
      assert.deepEqual(paths, ['input.extra', 'input.name']);
      assert.match(e.request_id, /^req_/);
      assert.equal(r.headers['x-request-id'], e.request_id);
    });

    it('answers 404 for an unknown agent or endpoint and 404 for an unknown run', async () => {
      assert.equal((await t.call('POST', '/v1/runs', { body: { agent: 'nope', endpoint: 'x', input: {} } })).json().error.code, 'AGENT_NOT_FOUND');
      assert.equal((await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'x', input: {} } })).json().error.code, 'ENDPOINT_NOT_FOUND');
      const r = await t.call('GET', '/v1/runs/run_doesnotexist');
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().error.code, 'RUN_NOT_FOUND');
    });

    it('rejects fields a client may not set (tenant_id, status, attempts) and leaves nothing behind', async () => {
      const before = (await t.call('GET', '/v1/runs?limit=500')).json().data.length;
      for (const extra of [{ tenant_id: 'other' }, { status: 'succeeded' }, { attempts: 7 }, { id: 'run_mine' }]) {
        const r = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'x' }, ...extra } });
        assert.equal(r.statusCode, 400, JSON.stringify(extra));
        assert.equal(r.json().error.code, 'VALIDATION_ERROR');
        assert.equal(r.json().error.details[0].path, `body.${Object.keys(extra)[0]}`);
      }
      assert.equal((await t.call('GET', '/v1/runs?limit=500')).json().data.length, before);
    });

    it('rejects bad JSON, __proto__, over-limit bodies and wrong media types with the error body', async () => {
      const bad = await t.call('POST', '/v1/runs', { body: '{"agent":', headers: { 'content-type': 'application/json' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'INVALID_JSON');
      const proto = await t.call('POST', '/v1/runs', { body: '{"agent":"hello","endpoint":"greet","input":{"__proto__":{"x":1}}}', headers: { 'content-type': 'application/json' } });
      assert.equal(proto.statusCode, 400);
      const deep = await t.call('POST', '/v1/runs', { body: `{"agent":"hello","endpoint":"greet","input":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, headers: { 'content-type': 'application/json' } });
      assert.ok([400, 413].includes(deep.statusCode), String(deep.statusCode));
      assert.ok(deep.json().error.code);
      const big = await t.call('POST', '/v1/runs', { body: JSON.stringify({ agent: 'hello', endpoint: 'greet', input: { name: 'x'.repeat(2 * 1024 * 1024) } }), headers: { 'content-type': 'application/json' } });
      assert.equal(big.statusCode, 413);
      assert.equal(big.json().error.code, 'PAYLOAD_TOO_LARGE');
      const xml = await t.call('POST', '/v1/runs', { body: '<run/>', headers: { 'content-type': 'application/xml' } });
      assert.equal(xml.statusCode, 415);
      assert.equal(xml.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('lists with filters and cursor pagination, newest first, without gaps or repeats', async () => {
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'lister' } } });
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await t.call('POST', '/v1/runs', { body: { agent: 'lister', endpoint: 'greet', input: { name: `n${i}` } } })).json().id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: { id: string }[]; next_cursor: string | null } = (await t.call('GET', `/v1/runs?agent=lister&limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json();
        seen.push(...page.data.map((r: { id: string }) => r.id));
        cursor = page.next_cursor;
      } while (cursor);
      assert.deepEqual(seen, [...ids].reverse());
      const queued = (await t.call('GET', '/v1/runs?agent=lister&status=queued,running')).json();
      assert.equal(queued.data.length, 7);
      assert.equal((await t.call('GET', '/v1/runs?agent=lister&status=succeeded')).json().data.length, 0);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      assert.equal((await t.call('GET', `/v1/runs?agent=lister&created_after=${future}`)).json().data.length, 0);
      assert.equal((await t.call('GET', '/v1/runs?status=bogus')).statusCode, 400);
      assert.equal((await t.call('GET', '/v1/runs?cursor=garbage')).statusCode, 400);
    });

    it('cancels a queued run once; a second cancel is 409 and changes nothing', async () => {
      const run = (await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'c' } } })).json();
      const c1 = await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: { reason: 'no longer needed' } });
      assert.equal(c1.statusCode, 200, c1.body);
      assert.equal(c1.json().status, 'cancelled');
      const c2 = await t.call('POST', `/v1/runs/${run.id}/cancel`);
      assert.equal(c2.statusCode, 409);
      assert.equal(c2.json().error.code, 'RUN_ALREADY_TERMINAL');
      const ev = (await t.call('GET', `/v1/runs/${run.id}/events`, { headers: { accept: 'application/json' } })).json().data;
      assert.deepEqual(ev.map((e: { type: string }) => e.type), ['run.queued', 'run.cancelled']);
      assert.equal(ev[1].data.reason, 'no longer needed');
    });

    it('creates a batch all-or-nothing', async () => {
      const ok = await t.call('POST', '/v1/runs/batch', { body: { runs: Array.from({ length: 50 }, (_, i) => ({ agent: 'hello', endpoint: 'greet', input: { name: `b${i}` } })) } });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal(ok.json().data.length, 50);
      assert.equal(new Set(ok.json().data.map((r: { id: string }) => r.id)).size, 50);
      const before = (await t.call('GET', '/v1/runs?limit=500')).json().data.length;
      const bad = await t.call('POST', '/v1/runs/batch', { body: { runs: [{ agent: 'hello', endpoint: 'greet', input: { name: 'fine' } }, { agent: 'hello', endpoint: 'greet', input: {} }] } });
      assert.equal(bad.statusCode, 422);
      assert.equal(bad.json().error.details[0].path, 'runs.1.input.name');
      assert.equal((await t.call('GET', '/v1/runs?limit=500')).json().data.length, before);
      const tooMany = await t.call('POST', '/v1/runs/batch', { body: { runs: Array.from({ length: 1001 }, () => ({ agent: 'hello', endpoint: 'greet', input: { name: 'x' } })) } });
      assert.equal(tooMany.statusCode, 400);
    });

    it('refuses runs on a disabled endpoint and accepts them again once enabled', async () => {
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'toggle' } } });
      const dis = await t.call('POST', '/v1/agents/toggle/endpoints/greet/disable');
      assert.equal(dis.statusCode, 200, dis.body);
      assert.equal(dis.json().endpoints.greet.enabled, false);
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'toggle', endpoint: 'greet', input: { name: 'x' } } });
      assert.equal(r.statusCode, 409);
      assert.equal(r.json().error.code, 'ENDPOINT_DISABLED');
      await t.call('POST', '/v1/agents/toggle/endpoints/greet/enable');
      assert.equal((await t.call('POST', '/v1/runs', { body: { agent: 'toggle', endpoint: 'greet', input: { name: 'x' } } })).statusCode, 201);
    });
  });
}
