/**
 * Hardening item 5: each agent version's schemas compile in isolation. Schemas that share a `$id`
 * (two agents, two versions, two tenants, input and output of one endpoint) never collide, and the
 * validator cache is bounded and really lets go of what it evicts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { EndpointValidators } from '../src/agents/endpoint-validators.ts';

const SHARED_ID = 'https://schemas.example/shared/input.json';

const nameSchema = { $id: SHARED_ID, type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };
const numberSchema = { $id: SHARED_ID, type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false };

function manifest(name: string, input: object, output: object = { type: 'object' }, description?: string) {
  return {
    apiVersion: 'agentd.dev/v1',
    kind: 'Agent',
    metadata: { name, ...(description ? { description } : {}) },
    spec: { runtime: 'worker', endpoints: { greet: { input, output, timeout: '30s' } } },
  };
}

for (const d of await dialects()) {
  describe(`schemas compile in isolation (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const run = (agent: string, input: unknown, key?: string) => t.call('POST', '/v1/runs', { body: { agent, endpoint: 'greet', input }, key });

    it('two agents whose input schemas share a $id each validate against their own', async () => {
      assert.equal((await t.call('POST', '/v1/agents', { body: manifest('ida', nameSchema) })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: manifest('idb', numberSchema) })).statusCode, 201);
      assert.equal((await run('ida', { name: 'x' })).statusCode, 201);
      const b = await run('idb', { n: 1 });
      assert.equal(b.statusCode, 201, b.body);
      const wrong = await run('idb', { name: 'x' });
      assert.equal(wrong.statusCode, 422, wrong.body);
      assert.equal(wrong.json().error.code, 'INPUT_INVALID');
      assert.equal((await run('ida', { n: 1 })).statusCode, 422);
    });

    it('a redeploy with the same $id works, and a run keeps the output schema of its own version', async () => {
      const out1 = { $id: 'urn:example:out', type: 'object', properties: { v: { const: 1 } }, required: ['v'] };
      const out2 = { $id: 'urn:example:out', type: 'object', properties: { v: { const: 2 } }, required: ['v'] };
      assert.equal((await t.call('POST', '/v1/agents', { body: manifest('redeploy', nameSchema, out1) })).statusCode, 201);
      const r1 = await run('redeploy', { name: 'one' });
      assert.equal(r1.statusCode, 201, r1.body);
      const v2 = await t.call('POST', '/v1/agents', { body: manifest('redeploy', nameSchema, out2, 'again') });
      assert.equal(v2.statusCode, 201, v2.body);
      assert.equal(v2.json().version, 2);
      const r2 = await run('redeploy', { name: 'two' });
      assert.equal(r2.statusCode, 201, r2.body);
      assert.equal(r2.json().agent_version, 2);

      const lease = await t.call('POST', '/v1/worker/lease', { body: { agent: 'redeploy', max_tasks: 10, wait_ms: 0 } });
      assert.equal(lease.statusCode, 200, lease.body);
      const tasks = lease.json().tasks as { lease_id: string; run_id: string }[];
      assert.equal(tasks.length, 2);
      const byRun = new Map(tasks.map((task) => [task.run_id, task.lease_id]));
      const complete = (runId: string, v: number) => t.call('POST', `/v1/leases/${byRun.get(runId)}/complete`, { body: { output: { v } } });
      // Each run is held to its own version's output schema, though both schemas are `urn:example:out`.
      assert.equal((await complete(r1.json().id, 2)).json().error?.code, 'OUTPUT_INVALID');
      assert.equal((await complete(r2.json().id, 1)).json().error?.code, 'OUTPUT_INVALID');
      assert.equal((await complete(r1.json().id, 1)).statusCode, 200);
      assert.equal((await complete(r2.json().id, 2)).statusCode, 200);
    });

    it('input and output of one endpoint may share a $id, as may two endpoints', async () => {
      const m = manifest('echo', nameSchema, nameSchema);
      (m.spec.endpoints as Record<string, unknown>).again = { input: numberSchema, output: numberSchema };
      const r = await t.call('POST', '/v1/agents', { body: m });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal((await run('echo', { name: 'x' })).statusCode, 201);
      const again = await t.call('POST', '/v1/runs', { body: { agent: 'echo', endpoint: 'again', input: { n: 3 } } });
      assert.equal(again.statusCode, 201, again.body);
    });

    it('another tenant may use the same agent name and $id', async () => {
      const other = await t.engine.tenants.create({ name: 'Other' });
      const key = await t.keyFor('admin', other.id);
      assert.equal((await t.call('POST', '/v1/agents', { body: manifest('ida', numberSchema), key })).statusCode, 201);
      assert.equal((await run('ida', { n: 5 }, key)).statusCode, 201);
      assert.equal((await run('ida', { name: 'x' })).statusCode, 201, 'the first tenant still validates its own schema');
      assert.equal((await run('ida', { n: 5 })).statusCode, 422);
    });

    it('a schema that refers to an $id it does not hold is refused at deploy with its path', async () => {
      const r = await t.call('POST', '/v1/agents', { body: manifest('dangling', { $ref: SHARED_ID }) });
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'MANIFEST_INVALID');
      assert.equal(r.json().error.details[0].path, 'spec.endpoints.greet.input');
    });

    it('a stored version whose schema does not compile alone answers 422 MANIFEST_INVALID, not 500', async () => {
      // As a version deployed before schemas were compiled alone could be: a $ref to another schema's $id.
      const now = Date.now();
      const spec = { input: { $ref: 'urn:example:elsewhere' }, output: {}, timeout_ms: 1000, retry: { max_attempts: 1, initial_interval_ms: 1000, backoff_coefficient: 2, max_interval_ms: 1000, jitter: 0, non_retryable_types: [] } };
      await t.store.db.insertInto('agent_versions').values({ tenant_id: t.tenantId, agent: 'legacy', version: 1, manifest: JSON.stringify(manifest('legacy', {})), endpoints: JSON.stringify({ greet: spec }), created_at: now }).execute();
      await t.store.db.insertInto('agents').values({ tenant_id: t.tenantId, name: 'legacy', latest_version: 1, disabled_endpoints: '[]', created_at: now, updated_at: now, deleted_at: null, runtime: 'worker' }).execute();
      const r = await run('legacy', {});
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'MANIFEST_INVALID');
      assert.equal(r.json().error.details[0].path, 'input');
    });

    it('endpoint names that are prototype keys are not endpoints', async () => {
      for (const endpoint of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        const r = await t.call('POST', '/v1/runs', { body: { agent: 'ida', endpoint, input: {} } });
        assert.equal(r.statusCode, 404, `${endpoint}: ${r.body}`);
        assert.equal(r.json().error.code, 'ENDPOINT_NOT_FOUND');
        const g = await t.call('POST', '/v1/grants', { body: { secret: 'none', agent: 'ida', endpoint } });
        assert.equal(g.statusCode, 404, `${endpoint}: ${g.body}`);
      }
      const dis = await t.call('POST', '/v1/agents/ida/endpoints/constructor/disable');
      assert.equal(dis.statusCode, 404, dis.body);
      assert.equal(dis.json().error.code, 'ENDPOINT_NOT_FOUND');
    });
  });
}

describe('the validator cache', () => {
  const spec = (n: number) => ({
    input: { $id: SHARED_ID, type: 'object', properties: { n: { const: n } }, required: ['n'] },
    output: { $id: SHARED_ID, type: 'object' },
    timeout_ms: 1000,
    retry: { max_attempts: 1, initial_interval_ms: 1, backoff_coefficient: 1, max_interval_ms: 1, jitter: 0, non_retryable_types: [] },
  });
  const key = (version: number) => ({ tenantId: 'ten_1', agent: 'a', version, endpoint: 'greet' });

  it('is bounded, evicts the least recently used entry, and recompiles an evicted one correctly', () => {
    const cache = new EndpointValidators({ max: 2 });
    const v1 = cache.get(key(1), spec(1));
    cache.get(key(2), spec(2));
    assert.equal(cache.get(key(1), spec(1)), v1, 'a hit returns the same validators');
    cache.get(key(3), spec(3)); // evicts version 2, the least recently used
    assert.equal(cache.size, 2);
    assert.equal(cache.get(key(1), spec(1)), v1, 'version 1 was used more recently and stays');
    for (let round = 0; round < 3; round++) {
      for (const n of [2, 3, 4]) {
        const v = cache.get(key(n), spec(n)); // the same $id compiled again and again: no collision
        assert.equal(v.input({ n }), true);
        assert.equal(v.input({ n: n + 1 }), false);
      }
    }
    assert.equal(cache.size, 2);
  });

  it('lets an evicted validator be garbage-collected (nothing else holds the compiled schema)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const cache = new EndpointValidators({ max: 4 });
    const refs: WeakRef<object>[] = [];
    for (let n = 0; n < 20; n++) refs.push(new WeakRef(cache.get(key(n), spec(n)).input));
    for (let i = 0; i < 10 && refs.slice(0, 16).some((r) => r.deref()); i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    assert.equal(refs.slice(0, 16).filter((r) => r.deref()).length, 0, 'every evicted validator was collected');
    assert.equal(refs.slice(16).filter((r) => r.deref()).length, 4, 'the cached ones are alive');
  });
});
