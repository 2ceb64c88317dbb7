/**
 * Grants and delivery (TESTPLAN 23): a canary secret granted to agent A travels in A's leases
 * only; revocation and rotation apply to the next lease; what a worker reports back is scrubbed;
 * and the canary appears in no event, output, error, audit row, idempotency record, error body,
 * server log line or database dump.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

const agentManifest = (name: string, endpoints: string[]) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: {
    runtime: 'worker',
    endpoints: Object.fromEntries(endpoints.map((e) => [e, { input: { type: 'object' }, output: { type: 'object' }, retry: { max_attempts: 3, initial_interval: '1ms' } }])),
  },
});

function dumpDatabase(dialect: string, db: TestDatabase): string {
  if (dialect === 'sqlite') {
    return readdirSync(db.location)
      .filter((f) => f.startsWith('agentd.db'))
      .map((f) => readFileSync(join(db.location, f)).toString('latin1'))
      .join('\n');
  }
  return execFileSync('pg_dump', ['--data-only', db.location], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

interface LeasedTask {
  lease_id: string;
  run_id: string;
  agent: string;
  endpoint: string;
  secrets?: Record<string, string>;
}

for (const d of await dialects()) {
  describe(`secret grants and delivery (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let workerKey: string;
    /** Every line the Fastify logger wrote, at trace level. */
    const serverLog: string[] = [];
    /** Every response body this file saw, except lease answers (which carry the value by design). */
    const bodies: string[] = [];
    const CANARY = `canary-${randomBytes(12).toString('hex')}`;
    const CANARY_2 = `canary2-${randomBytes(12).toString('hex')}`;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { config: { logger: { level: 'trace', stream: { write: (line: string) => serverLog.push(line) } } } });
      for (const m of [agentManifest('alpha', ['run', 'other']), agentManifest('beta', ['run']), agentManifest('gamma', ['run'])]) {
        assert.equal((await call('POST', '/v1/agents', { body: m })).statusCode, 201);
      }
      // Named agents: only a worker key that names an agent receives its secrets.
      workerKey = await t.keyFor('worker', undefined, ['alpha', 'beta', 'gamma']);
      const created = await call('POST', '/v1/secrets', { body: { name: 'canary_token', value: CANARY, description: 'TESTPLAN 23' } });
      assert.equal(created.statusCode, 201, created.body);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const call: TestApp['call'] = async (method, url, opts) => {
      const r = await t.call(method, url, opts);
      if (url !== '/v1/worker/lease') bodies.push(r.body);
      return r;
    };
    const run = async (agent: string, endpoint = 'run') => {
      const r = await call('POST', '/v1/runs', { body: { agent, endpoint, input: {} } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().id as string;
    };
    const lease = async (agent: string, endpoints?: string[]): Promise<LeasedTask[]> => {
      const r = await call('POST', '/v1/worker/lease', { key: workerKey, body: { agent, max_tasks: 10, wait_ms: 0, ...(endpoints ? { endpoints } : {}) } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().tasks;
    };
    const leaseOne = async (agent: string, runId: string, endpoints?: string[]): Promise<LeasedTask> => {
      const task = (await lease(agent, endpoints)).find((x) => x.run_id === runId);
      assert.ok(task, `run ${runId} was leased`);
      return task;
    };
    const grant = async (body: Record<string, unknown>) => {
      const r = await call('POST', '/v1/grants', { body });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const w = (url: string, body: unknown) => call('POST', url, { key: workerKey, body });

    it('grants: create, list with filters, duplicates, unknown secret/agent/endpoint, revoke', async () => {
      const g = await grant({ secret: 'canary_token', agent: 'alpha' });
      assert.match(g.id, /^grt_/);
      assert.equal(g.endpoint, null);
      assert.equal(g.revoked_at, null);
      assert.ok(g.created_by, 'the granting key is recorded');
      assert.equal((await grant({ secret: 'canary_token', agent: 'alpha' })).id, g.id, 'granting twice returns the existing grant');
      const ep = await grant({ secret: 'canary_token', agent: 'gamma', endpoint: 'run' });
      assert.notEqual(ep.id, g.id);

      const byAgent = (await call('GET', '/v1/grants?agent=alpha')).json().data;
      assert.deepEqual(
        byAgent.map((x: { id: string }) => x.id),
        [g.id],
      );
      const bySecret = (await call('GET', '/v1/grants?secret=canary_token')).json().data;
      assert.equal(bySecret.length, 2);
      assert.equal((await call('GET', '/v1/grants?secret=nope')).json().data.length, 0);

      for (const [body, code] of [
        [{ secret: 'no_such_secret', agent: 'alpha' }, 'SECRET_NOT_FOUND'],
        [{ secret: 'canary_token', agent: 'no-such-agent' }, 'AGENT_NOT_FOUND'],
        [{ secret: 'canary_token', agent: 'alpha', endpoint: 'nope' }, 'ENDPOINT_NOT_FOUND'],
      ] as const) {
        const r = await call('POST', '/v1/grants', { body });
        assert.equal(r.statusCode, 404, r.body);
        assert.equal(r.json().error.code, code);
      }
      const extra = await call('POST', '/v1/grants', { body: { secret: 'canary_token', agent: 'alpha', tenant_id: 'x' } });
      assert.equal(extra.statusCode, 400);

      const revoked = await call('DELETE', `/v1/grants/${ep.id}`);
      assert.equal(revoked.statusCode, 200);
      assert.ok(revoked.json().revoked_at);
      assert.deepEqual((await call('DELETE', `/v1/grants/${ep.id}`)).json(), revoked.json(), 'revoking twice changes nothing');
      assert.equal((await call('DELETE', '/v1/grants/grt_nope')).json().error.code, 'GRANT_NOT_FOUND');
      assert.equal((await call('GET', '/v1/grants?secret=canary_token')).json().data.length, 1, 'revoked grants are not listed by default');
      assert.equal((await call('GET', '/v1/grants?secret=canary_token&include_revoked=true')).json().data.length, 2);

      const other = (await t.engine.tenants.create({ name: 'grant-other' })).id;
      const otherAdmin = await t.keyFor('admin', other);
      assert.equal((await call('DELETE', `/v1/grants/${g.id}`, { key: otherAdmin })).statusCode, 404, "another tenant's grant does not exist");
      assert.equal((await call('GET', '/v1/grants', { key: otherAdmin })).json().data.length, 0);
      assert.equal((await call('POST', '/v1/grants', { key: otherAdmin, body: { secret: 'canary_token', agent: 'alpha' } })).statusCode, 404);
    });

    it("the canary granted to agent A travels in A's lease only, and each delivery is audited without it", async () => {
      const a = await run('alpha');
      const b = await run('beta');
      const ta = await leaseOne('alpha', a);
      const tb = await leaseOne('beta', b);
      assert.deepEqual(ta.secrets, { canary_token: CANARY });
      assert.deepEqual(tb.secrets, {}, 'agent B gets nothing');
      const audit = await t.engine.audit.list(t.tenantId, { action: 'secret.delivered', limit: 50 });
      const row = audit.data.find((r) => r.details.run_id === a);
      assert.ok(row, 'the delivery is audited');
      assert.equal(row.target_type, 'secret');
      assert.equal(row.target_id, 'canary_token');
      assert.equal(row.outcome, 'ok');
      assert.equal(row.actor_role, 'worker');
      assert.deepEqual({ agent: row.details.agent, endpoint: row.details.endpoint, version: row.details.version, lease_id: row.details.lease_id }, { agent: 'alpha', endpoint: 'run', version: 1, lease_id: ta.lease_id });
      assert.ok(!audit.data.some((r) => r.details.run_id === b), 'nothing delivered to B, nothing audited');
      assert.ok(!JSON.stringify(audit).includes(CANARY));
      for (const task of [ta, tb]) assert.equal((await w(`/v1/leases/${task.lease_id}/complete`, { output: {} })).statusCode, 200);
    });

    it('an endpoint grant covers that endpoint only', async () => {
      await call('POST', '/v1/secrets', { body: { name: 'endpoint_only', value: 'value-for-other-endpoint' } });
      await grant({ secret: 'endpoint_only', agent: 'alpha', endpoint: 'other' });
      const onRun = await run('alpha', 'run');
      const onOther = await run('alpha', 'other');
      const tasks = await lease('alpha');
      const tRun = tasks.find((x) => x.run_id === onRun)!;
      const tOther = tasks.find((x) => x.run_id === onOther)!;
      assert.deepEqual(Object.keys(tRun.secrets!).sort(), ['canary_token']);
      assert.deepEqual(tOther.secrets, { canary_token: CANARY, endpoint_only: 'value-for-other-endpoint' });
      for (const task of tasks) await w(`/v1/leases/${task.lease_id}/complete`, { output: {} });
    });

    it('revocation and rotation apply to the next lease', async () => {
      const g = (await call('GET', '/v1/grants?agent=alpha&secret=canary_token')).json().data[0];
      const first = await run('alpha');
      const t1 = await leaseOne('alpha', first);
      assert.equal(t1.secrets!.canary_token, CANARY);
      assert.equal((await call('DELETE', `/v1/grants/${g.id}`)).statusCode, 200);
      const second = await run('alpha');
      const t2 = await leaseOne('alpha', second);
      assert.deepEqual(t2.secrets, {}, 'revoked: the next lease goes without');

      await grant({ secret: 'canary_token', agent: 'alpha' });
      const rot = await call('POST', '/v1/secrets/canary_token/rotate', { body: { value: CANARY_2 } });
      assert.equal(rot.statusCode, 200);
      const third = await run('alpha');
      const t3 = await leaseOne('alpha', third);
      assert.equal(t3.secrets!.canary_token, CANARY_2, 'rotated: the next lease gets the new version');
      const delivered = await t.engine.audit.list(t.tenantId, { action: 'secret.delivered', limit: 100 });
      assert.equal(delivered.data.find((r) => r.details.run_id === third)!.details.version, 2);

      // The worker of the first lease still holds the old value after the revocation: it is scrubbed all the same.
      const done = await w(`/v1/leases/${t1.lease_id}/complete`, { output: { said: `old ${CANARY} new ${CANARY_2}` } });
      assert.equal(done.statusCode, 200);
      assert.deepEqual(done.json().output, { said: 'old [redacted:canary_token] new [redacted:canary_token]' });
      for (const task of [t2, t3]) await w(`/v1/leases/${task.lease_id}/complete`, { output: {} });
    });

    it('a grant made while a lease is out counts for it: what that lease reports is scrubbed of the new secret', async () => {
      // The lease's scrubber is known at lease time (nothing granted, nothing to scrub); the grant
      // made afterwards must still reach it: the same worker may get the value through a later lease.
      assert.equal((await call('POST', '/v1/agents', { body: agentManifest('delta', ['run']) })).statusCode, 201);
      const deltaKey = await t.keyFor('worker', undefined, ['delta']);
      const LATE = `late-${randomBytes(12).toString('hex')}`;
      assert.equal((await call('POST', '/v1/secrets', { body: { name: 'late_token', value: LATE } })).statusCode, 201);
      const leaseDelta = async (runId: string): Promise<LeasedTask> => {
        const r = await call('POST', '/v1/worker/lease', { key: deltaKey, body: { agent: 'delta', max_tasks: 10, wait_ms: 0 } });
        assert.equal(r.statusCode, 200, r.body);
        const task = (r.json().tasks as LeasedTask[]).find((x) => x.run_id === runId);
        assert.ok(task, `run ${runId} was leased`);
        return task;
      };
      const before = await leaseDelta(await run('delta'));
      assert.deepEqual(before.secrets, {});
      await grant({ secret: 'late_token', agent: 'delta' });
      const later = await leaseDelta(await run('delta'));
      assert.equal(later.secrets!.late_token, LATE);
      const done = await call('POST', '/v1/worker/complete', { key: deltaKey, body: { results: [{ lease_id: before.lease_id, output: { leaked: LATE } }, { lease_id: later.lease_id, output: { leaked: LATE } }] } });
      assert.equal(done.statusCode, 200, done.body);
      for (const id of [before.run_id, later.run_id]) {
        assert.deepEqual((await call('GET', `/v1/runs/${id}`)).json().output, { leaked: '[redacted:late_token]' });
      }
    });

    it('scrubs every granted value from output, failures, events and batched completions before storing them', async () => {
      const ids = [await run('alpha'), await run('alpha'), await run('alpha'), await run('alpha')];
      const tasks = await lease('alpha');
      const [t1, t2, t3, t4] = ids.map((id) => tasks.find((x) => x.run_id === id)!);
      const value = t1.secrets!.canary_token;
      assert.equal(value, CANARY_2);

      const ev = await w(`/v1/leases/${t1.lease_id}/events`, {
        events: [
          { type: 'run.log', data: { level: 'info', message: `token=${value}`, fields: { nested: [value, { deeper: `Bearer ${value}` }], [value]: 'as a key' } } },
          { type: 'run.output.delta', data: { delta: value.slice(0, 5) + value.slice(5) } },
          { type: 'run.progress', data: { message: `url?token=${encodeURIComponent(value)}` } },
          { type: 'custom.note', data: { json: JSON.stringify({ token: value }) } },
        ],
      });
      assert.equal(ev.statusCode, 200, ev.body);
      const c1 = await w(`/v1/leases/${t1.lease_id}/complete`, { output: { greeting: `use ${value} wisely`, list: [value] } });
      assert.equal(c1.statusCode, 200, c1.body);
      assert.deepEqual(c1.json().output, { greeting: 'use [redacted:canary_token] wisely', list: ['[redacted:canary_token]'] });

      const f2 = await w(`/v1/leases/${t2.lease_id}/fail`, { error: { type: 'auth_error', message: `rejected key ${value}`, non_retryable: true, details: { key: value } } });
      assert.equal(f2.statusCode, 200, f2.body);
      assert.deepEqual(f2.json().error, { type: 'auth_error', message: 'rejected key [redacted:canary_token]', non_retryable: true, details: { key: '[redacted:canary_token]' } });

      const batch = await w('/v1/worker/complete', {
        results: [
          { lease_id: t3.lease_id, output: { v: value } },
          { lease_id: t4.lease_id, error: { type: 'x', message: value, non_retryable: true } },
        ],
      });
      assert.equal(batch.statusCode, 200, batch.body);
      assert.ok(batch.json().results.every((r: { ok: boolean }) => r.ok));

      const texts: string[] = [];
      for (const id of ids) {
        texts.push((await call('GET', `/v1/runs/${id}`)).body, (await call('GET', `/v1/runs/${id}/attempts`)).body);
        const events = await call('GET', `/v1/runs/${id}/events`, { headers: { accept: 'application/json' } });
        texts.push(events.body);
      }
      const all = texts.join('\n');
      assert.ok(!all.includes(value), 'no stored output, error, attempt or event holds the value');
      assert.ok(!all.includes(encodeURIComponent(value)));
      assert.ok(all.includes('Bearer [redacted:canary_token]'));
      assert.ok(all.includes('token=[redacted:canary_token]'));
      assert.ok(all.includes('"{\\"token\\":\\"[redacted:canary_token]\\"}"'));
      assert.equal(JSON.parse(texts[4]).data[0].error.message, 'rejected key [redacted:canary_token]', 'the attempt keeps the scrubbed failure');
    });

    it('short values are not scrubbed (they would wreck output and protect nothing)', async () => {
      await call('POST', '/v1/secrets', { body: { name: 'tiny', value: 'abc' } });
      await grant({ secret: 'tiny', agent: 'beta' });
      const id = await run('beta');
      const task = await leaseOne('beta', id);
      assert.equal(task.secrets!.tiny, 'abc');
      const r = await w(`/v1/leases/${task.lease_id}/complete`, { output: { text: 'abcdef' } });
      assert.deepEqual(r.json().output, { text: 'abcdef' });
    });

    it('a task whose granted secret cannot be decrypted is not handed out: its attempt fails with secret_unreadable', async () => {
      await call('POST', '/v1/secrets', { body: { name: 'damaged', value: 'value-of-damaged' } });
      await grant({ secret: 'damaged', agent: 'gamma' });
      const row = await t.store.allTenants(t.store.db).selectFrom('secret_versions').selectAll().where('name', '=', 'damaged').executeTakeFirstOrThrow();
      const flipped = Buffer.from(row.ciphertext, 'base64');
      flipped[0] ^= 1;
      await t.store.allTenants(t.store.db).updateTable('secret_versions').set({ ciphertext: flipped.toString('base64') }).where('name', '=', 'damaged').execute();
      const id = await run('gamma');
      assert.deepEqual(await lease('gamma'), [], 'not delivered without its secret');
      const r = (await call('GET', `/v1/runs/${id}`)).json();
      assert.equal(r.status, 'queued', 'retried by policy');
      assert.equal(r.error.type, 'secret_unreadable');
      assert.match(r.error.message, /"damaged" cannot be decrypted/);
      const audit = await t.engine.audit.list(t.tenantId, { action: 'secret.delivered', outcome: 'error', limit: 10 });
      assert.ok(audit.data.some((a) => a.target_id === 'damaged' && a.details.run_id === id));
      await t.store.allTenants(t.store.db).updateTable('secret_versions').set({ ciphertext: row.ciphertext }).where('name', '=', 'damaged').execute();
      const later = await leaseOne('gamma', id);
      assert.equal(later.secrets!.damaged, 'value-of-damaged', 'repaired, the next attempt gets it');
      await w(`/v1/leases/${later.lease_id}/complete`, { output: {} });
    });

    it('deleting a secret revokes its grants', async () => {
      await call('POST', '/v1/secrets', { body: { name: 'short_lived', value: 'value-short-lived' } });
      await grant({ secret: 'short_lived', agent: 'beta' });
      const holder = await leaseOne('beta', await run('beta'));
      assert.equal(holder.secrets!.short_lived, 'value-short-lived');
      const del = await call('DELETE', '/v1/secrets/short_lived');
      assert.equal(del.json().grants_revoked, 1);
      // The worker that got the value before the delete still holds it: what it reports is scrubbed all the same.
      const reported = await w(`/v1/leases/${holder.lease_id}/complete`, { output: { said: 'value-short-lived' } });
      assert.deepEqual(reported.json().output, { said: '[redacted:short_lived]' });
      assert.equal((await call('GET', '/v1/grants?secret=short_lived')).json().data.length, 0);
      await call('POST', '/v1/secrets', { body: { name: 'short_lived', value: 'value-short-lived-2' } });
      const id = await run('beta');
      const task = await leaseOne('beta', id);
      assert.ok(!('short_lived' in task.secrets!), 'a re-created secret is not delivered on the old grant');
      await w(`/v1/leases/${task.lease_id}/complete`, { output: {} });
    });

    it('the canary appears in no response, audit row, idempotency record, server log line or database dump', async () => {
      // Error bodies on the secret routes, with the canary in the request.
      for (const [url, body] of [
        ['/v1/secrets', { name: 'canary_token', value: CANARY }],
        ['/v1/secrets', { name: 'Bad Name', value: CANARY }],
        ['/v1/secrets', { name: 'x_y', value: CANARY, extra: CANARY }],
        ['/v1/secrets/no_such/rotate', { value: CANARY }],
      ] as const) {
        const r = await call('POST', url, { body, headers: { 'idempotency-key': `k-${url}-${Object.keys(body).length}` } });
        assert.ok(r.statusCode >= 400, r.body);
      }
      const bad = await call('POST', '/v1/secrets', { body: `{"name":"x","value":"${CANARY}"`, headers: { 'content-type': 'application/json' } });
      assert.equal(bad.statusCode, 400);
      await t.store.writer.drain();
      // The API's audit hook (when present) writes after the response: let it finish.
      await (t.engine.audit as { settled?: () => Promise<void> }).settled?.();
      const audit = await t.engine.audit.list(t.tenantId, { limit: 500 });
      assert.ok(audit.data.length > 0);
      bodies.push(JSON.stringify(audit));
      bodies.push(JSON.stringify(await t.store.allTenants(t.store.db).selectFrom('idempotency_keys').selectAll().execute()));
      bodies.push((await call('GET', '/v1/events?after=0', { headers: { accept: 'application/json' } })).body);
      for (const value of [CANARY, CANARY_2]) {
        assert.ok(!bodies.some((b) => b.includes(value)), 'no response body (lease answers aside), audit row or idempotency record');
        assert.ok(serverLog.length > 0 && !serverLog.some((l) => l.includes(value)), 'no server log line');
        assert.ok(!dumpDatabase(d.name, db).includes(value), 'nothing in the database dump');
      }
    });
  });
}
