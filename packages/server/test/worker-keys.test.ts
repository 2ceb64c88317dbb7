/**
 * Agent-scoped worker identity (issue 8, item 1), on both databases: a worker key names the
 * agents it serves and is refused (403) for any other, on lease and on every lease-scoped call;
 * the worker protocol is for worker and admin keys only; secrets go only to a lease taken by a
 * worker key that names the agent (never `["*"]`, never admin); keys expire; worker keys made
 * before the migration serve `["*"]`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { ROLES, type SecretsWithheld } from '@agentd/protocol';
import { SecretNotGrantedError } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

const manifest = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { go: { input: { type: 'object' }, output: { type: 'object' }, retry: { max_attempts: 5 } } } },
});

interface LeasedTask {
  lease_id: string;
  run_id: string;
  agent: string;
  secrets?: Record<string, string>;
  secrets_withheld?: SecretsWithheld;
}

for (const d of await dialects()) {
  describe(`agent-scoped worker keys (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.now());
    const SECRET_A = `sa-${randomBytes(12).toString('hex')}`;
    const SECRET_B = `sb-${randomBytes(12).toString('hex')}`;
    /** Keys by what they may do. */
    const k: Record<'alpha' | 'beta' | 'both' | 'star' | 'dev', string> = {} as never;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      for (const n of ['alpha', 'beta', 'gamma']) assert.equal((await t.call('POST', '/v1/agents', { body: manifest(n) })).statusCode, 201);
      for (const [name, value, agent] of [['sa', SECRET_A, 'alpha'], ['sb', SECRET_B, 'beta']]) {
        assert.equal((await t.call('POST', '/v1/secrets', { body: { name, value } })).statusCode, 201);
        assert.equal((await t.call('POST', '/v1/grants', { body: { secret: name, agent } })).statusCode, 201);
      }
      const make = async (body: Record<string, unknown>) => {
        const r = await t.call('POST', '/v1/keys', { body });
        assert.equal(r.statusCode, 201, r.body);
        return r.json().key as string;
      };
      k.alpha = await make({ role: 'worker', name: 'alpha worker', agents: ['alpha'] });
      k.beta = await make({ role: 'worker', agents: ['beta'] });
      k.both = await make({ role: 'worker', agents: ['alpha', 'beta'] });
      k.star = await make({ role: 'worker', agents: ['*'] });
      k.dev = await make({ role: 'developer' });
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const run = async (agent: string) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint: 'go', input: {} } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().id as string;
    };
    const lease = (key: string, agent: string) => t.call('POST', '/v1/worker/lease', { key, body: { agent, max_tasks: 10, wait_ms: 0 } });
    const leaseOne = async (key: string, agent: string): Promise<LeasedTask> => {
      const id = await run(agent);
      const r = await lease(key, agent);
      assert.equal(r.statusCode, 200, r.body);
      const task = (r.json().tasks as LeasedTask[]).find((x) => x.run_id === id);
      assert.ok(task, `run ${id} was leased`);
      return task;
    };
    const status = async (runId: string) => (await t.call('GET', `/v1/runs/${runId}`)).json().status as string;

    it('POST /v1/keys: a worker key must name its agents; no other role may; 422 KEY_INVALID names the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ role: 'worker', name: 'w' }, 'body.agents'],
        [{ role: 'worker', agents: [] }, 'body.agents'],
        [{ role: 'worker', agents: ['alpha', '*'] }, 'body.agents.1'],
        [{ role: 'worker', agents: ['Not A Name'] }, 'body.agents.0'],
        [{ role: 'worker', agents: ['alpha'], expires_at: new Date(clock.now() - 1000).toISOString() }, 'body.expires_at'],
        ...ROLES.filter((r) => r !== 'worker').map((role): [Record<string, unknown>, string] => [{ role, agents: ['*'] }, 'body.agents']),
      ];
      for (const [body, path] of cases) {
        const r = await t.call('POST', '/v1/keys', { body, headers: { 'idempotency-key': randomBytes(8).toString('hex') } });
        assert.equal(r.statusCode, 422, `${JSON.stringify(body)} → ${r.body}`);
        const err = r.json().error;
        assert.equal(err.code, 'KEY_INVALID');
        assert.deepEqual(err.details.map((p: { path: string }) => p.path), [path], r.body);
        assert.ok(err.request_id);
      }
      const before = (await t.call('GET', '/v1/keys?limit=500')).json().data.length;
      assert.equal(before, 6, 'none of the refused requests made a key');
      assert.equal((await t.call('POST', '/v1/keys', { body: { role: 'worker', agents: { alpha: true } } })).statusCode, 400, 'not a list: the schema refuses it');

      const listed = (await t.call('GET', '/v1/keys?limit=500')).json().data as { name: string | null; role: string; agents: string[] | null; expires_at: string | null }[];
      assert.deepEqual(listed.find((x) => x.name === 'alpha worker')?.agents, ['alpha']);
      assert.ok(listed.filter((x) => x.role !== 'worker').every((x) => x.agents === null));
      assert.ok(listed.every((x) => x.expires_at === null));
    });

    it('a scoped key leases its agents (200) and is refused any other (403 FORBIDDEN), leaving the run queued', async () => {
      const b = await run('beta');
      const refused = await lease(k.alpha, 'beta');
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error.code, 'FORBIDDEN');
      assert.deepEqual(refused.json().error.details, { agent: 'beta', agents: ['alpha'] });
      assert.ok(!refused.body.includes(SECRET_B));
      assert.equal(await status(b), 'queued');
      const refill = await t.call('POST', '/v1/worker/complete', { key: k.alpha, body: { results: [{ lease_id: 'lse_none', output: {} }], lease: { agent: 'beta' } } });
      assert.equal(refill.statusCode, 403, 'a refill for another agent is refused as a whole');
      assert.equal(await status(b), 'queued');

      const mine = await leaseOne(k.both, 'beta');
      assert.equal(mine.run_id !== undefined, true);
      assert.equal((await lease(k.both, 'gamma')).statusCode, 403);
      assert.equal((await lease(k.star, 'gamma')).statusCode, 200, 'a ["*"] key serves every agent');
      assert.equal((await t.call('POST', `/v1/leases/${mine.lease_id}/release`, { key: k.both })).statusCode, 200);
    });

    it("every lease-scoped call with another agent's lease is 403, changes nothing; another tenant's lease is 404 as if none", async (tc) => {
      const task = await leaseOne(k.beta, 'beta');
      const before = (await t.call('GET', `/v1/runs/${task.run_id}`)).json();
      const calls: [string, string, unknown?][] = [
        ['POST', `/v1/leases/${task.lease_id}/heartbeat`, {}],
        ['POST', `/v1/leases/${task.lease_id}/complete`, { output: {} }],
        ['POST', `/v1/leases/${task.lease_id}/fail`, { error: { type: 'x', message: 'y', non_retryable: true } }],
        ['POST', `/v1/leases/${task.lease_id}/release`, {}],
        ['POST', `/v1/leases/${task.lease_id}/events`, { events: [{ type: 'run.log', data: { message: 'x' } }] }],
        ['POST', `/v1/leases/${task.lease_id}/findings`, { findings: [{ severity: 'info', summary: 'x' }] }],
        ['POST', `/v1/leases/${task.lease_id}/approvals`, { key: 'k', prompt: 'ok?' }],
        ['GET', `/v1/leases/${task.lease_id}/approvals/apr_none?wait_ms=0`],
        ['POST', `/v1/leases/${task.lease_id}/signals/go/wait`, { key: 'go', wait_ms: 0 }],
        ['POST', `/v1/leases/${task.lease_id}/steps`, { key: 'k', output: 1 }],
        ['GET', `/v1/leases/${task.lease_id}/steps`],
      ];
      for (const [method, url, body] of calls) {
        const r = await t.call(method, url, { key: k.alpha, body });
        assert.equal(r.statusCode, 403, `${method} ${url} → ${r.body}`);
        assert.equal(r.json().error.code, 'FORBIDDEN');
      }
      assert.deepEqual((await t.call('GET', `/v1/runs/${task.run_id}`)).json(), before, 'nothing changed');
      tc.diagnostic(`${calls.length} of ${calls.length} lease-scoped routes refused a key scoped to another agent (403, run unchanged)`);
      const batch = await t.call('POST', '/v1/worker/complete', { key: k.alpha, body: { results: [{ lease_id: task.lease_id, output: {} }, { lease_id: 'lse_unknown', output: {} }] } });
      assert.equal(batch.statusCode, 200, batch.body);
      assert.deepEqual(
        batch.json().results.map((r: { ok: boolean; error?: { code: string } }) => r.error?.code),
        ['FORBIDDEN', 'LEASE_NOT_FOUND'],
        'each item answered alone, in order',
      );
      assert.equal(await status(task.run_id), 'running');

      // Another tenant's worker key, even a ["*"] one, cannot tell this lease from none.
      const other = (await t.engine.tenants.create({ name: 'other' })).id;
      for (const key of [await t.keyFor('worker', other, ['beta']), await t.keyFor('worker', other, ['alpha'])]) {
        const r = await t.call('POST', `/v1/leases/${task.lease_id}/heartbeat`, { key, body: {} });
        assert.equal(r.statusCode, 404, r.body);
        assert.equal(r.json().error.code, 'LEASE_NOT_FOUND');
        assert.deepEqual(r.json().error.details, (await t.call('POST', '/v1/leases/lse_nope/heartbeat', { key, body: {} })).json().error.details);
      }
      // Its own key may do all of it.
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/heartbeat`, { key: k.beta, body: {} })).statusCode, 200);
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/events`, { key: k.beta, body: { events: [{ type: 'run.log', data: {} }] } })).statusCode, 200);
      const done = await t.call('POST', '/v1/worker/complete', { key: k.both, body: { results: [{ lease_id: task.lease_id, output: {} }] } });
      assert.deepEqual(done.json().results, [{ lease_id: task.lease_id, ok: true }]);
      assert.equal(await status(task.run_id), 'succeeded');
    });

    it('the worker protocol is for worker and admin keys: every other role gets 403 on every worker route', async (tc) => {
      const task = await leaseOne(k.alpha, 'alpha');
      const routes = t.app.registeredRoutes.filter((r) => / \/v1\/(worker|leases)\//.test(r));
      assert.equal(routes.length, 15, routes.join('\n'));
      let checked = 0;
      for (const role of ROLES.filter((r) => r !== 'worker' && r !== 'admin')) {
        const key = role === 'developer' ? k.dev : await t.keyFor(role);
        for (const route of routes) {
          const [method, path] = route.split(' ');
          const url = path.replace('{lease_id}', task.lease_id).replace('{id}', 'apr_none').replace('{name}', 'go').replace('{key}', 'call-1');
          const r = await t.call(method, url, { key, body: method === 'POST' ? {} : undefined });
          assert.equal(r.statusCode, 403, `${role} ${route} → ${r.body}`);
          assert.equal(r.json().error.code, 'FORBIDDEN');
          checked++;
        }
      }
      assert.equal(checked, 4 * 15);
      tc.diagnostic(`${checked} role × worker-route combinations (developer, operator, approver, viewer × ${routes.length} routes) answered 403`);
      assert.equal(await status(task.run_id), 'running', 'none of it touched the lease');
      assert.match((await lease(k.dev, 'alpha')).json().error.message, /worker key/);
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { key: t.adminKey, body: { output: {} } })).statusCode, 200, 'an admin key serves every agent');
    });

    it("secrets: a key naming the agent gets exactly that agent's grants; a [\"*\"] key and an admin key get none, and are told why", async () => {
      const named = await leaseOne(k.alpha, 'alpha');
      assert.deepEqual(named.secrets, { sa: SECRET_A });
      assert.equal(named.secrets_withheld, undefined);
      const both = await leaseOne(k.both, 'beta');
      assert.deepEqual(both.secrets, { sb: SECRET_B }, "a key naming two agents gets each lease's own agent's grants");

      const star = await leaseOne(k.star, 'alpha');
      assert.deepEqual(star.secrets, {});
      assert.equal(star.secrets_withheld?.reason, 'all_agents_key');
      const admin = await leaseOne(t.adminKey, 'alpha');
      assert.deepEqual(admin.secrets, {});
      assert.equal(admin.secrets_withheld?.reason, 'admin_key');
      assert.match(admin.secrets_withheld!.message, /agentd keys create --role worker --agents alpha/);
      for (const task of [star, admin]) assert.ok(!JSON.stringify(task).includes(SECRET_A));
      const err = new SecretNotGrantedError('sa', { agent: 'alpha', endpoint: 'go', secrets_withheld: admin.secrets_withheld });
      assert.match(err.message, /was not delivered: secrets are never delivered to a lease taken with an admin key/);

      // Only the named key's lease was audited as a delivery.
      const audit = await t.engine.audit.list(t.tenantId, { action: 'secret.delivered', limit: 100 });
      const leases = new Set(audit.data.map((r) => r.details.lease_id));
      assert.ok(leases.has(named.lease_id) && leases.has(both.lease_id));
      assert.ok(!leases.has(star.lease_id) && !leases.has(admin.lease_id));
      // A worker still reports through the lease with its values scrubbed, whoever leased it.
      const out = await t.call('POST', `/v1/leases/${named.lease_id}/complete`, { key: k.alpha, body: { output: { leaked: SECRET_A } } });
      assert.deepEqual(out.json().output, { leaked: '[redacted:sa]' });
      for (const task of [both, star, admin]) await t.call('POST', `/v1/leases/${task.lease_id}/release`, { key: t.adminKey, body: {} });
    });

    it('a key with expires_at works until then and answers 401 from that moment, cached or not', async () => {
      const r = await t.call('POST', '/v1/keys', { body: { role: 'worker', agents: ['alpha'], expires_at: new Date(clock.now() + 3_600_000).toISOString() } });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().expires_at, new Date(clock.now() + 3_600_000).toISOString());
      const key = r.json().key as string;
      assert.equal((await lease(key, 'alpha')).statusCode, 200);
      clock.advance(3_600_000);
      const refused = await lease(key, 'alpha');
      assert.equal(refused.statusCode, 401, 'expired, though the key was verified a moment ago');
      assert.equal(refused.json().error.code, 'UNAUTHORIZED');
      assert.equal((await t.call('GET', '/v1/openapi.json', { key })).statusCode, 401);
    });

    it('migration: worker keys made before it serve ["*"]; other roles have no list', async () => {
      await sql`UPDATE api_keys SET agents = NULL`.execute(t.store.allTenants(t.store.db)); // every key, as before migration 6
      await sql`ALTER TABLE api_keys DROP COLUMN agents`.execute(t.store.db);
      await sql`ALTER TABLE api_keys DROP COLUMN expires_at`.execute(t.store.db);
      await sql`DELETE FROM agentd_migrations WHERE id = 6`.execute(t.store.db);
      await t.close();
      t = await startTestApp(db, { clock });
      const rows = await t.store.allTenants(t.store.db).selectFrom('api_keys').select(['role', 'agents', 'expires_at']).execute();
      assert.ok(rows.some((r) => r.role === 'worker'));
      for (const row of rows) {
        assert.equal(row.agents, row.role === 'worker' ? '["*"]' : null, JSON.stringify(row));
        assert.equal(row.expires_at, null);
      }
      // k.alpha was made for ["alpha"]; the migration (re-run here on purpose) states every old worker key as ["*"].
      const r = await lease(k.alpha, 'gamma');
      assert.equal(r.statusCode, 200, r.body);
    });
  });
}
