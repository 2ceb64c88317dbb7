import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLES, type Role } from '@agentd/protocol';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

for (const d of await dialects()) {
  describe(`auth, roles and tenancy (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let otherTenant: string;
    let otherAdmin: string;
    const ids: Record<string, string> = {};

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
      ids.run = (await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'A' } } })).json().id;
      const workerKey = await t.keyFor('worker');
      const lease = await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent: 'hello', wait_ms: 0 } });
      ids.lease = lease.json().tasks[0].lease_id;
      ids.key = (await t.call('POST', '/v1/keys', { body: { role: 'viewer' } })).json().id;
      otherTenant = (await t.engine.tenants.create({ name: 'Other' })).id;
      otherAdmin = await t.keyFor('admin', otherTenant);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    /** Every route that takes an id of a tenant's resource, with a body where it needs one. */
    const idRoutes = () => [
      ['GET', `/v1/runs/${ids.run}`],
      ['GET', `/v1/runs/${ids.run}/attempts`],
      ['GET', `/v1/runs/${ids.run}/events`],
      ['POST', `/v1/runs/${ids.run}/cancel`, {}],
      ['GET', '/v1/agents/hello'],
      ['GET', '/v1/agents/hello/versions'],
      ['GET', '/v1/agents/hello/versions/1'],
      ['DELETE', '/v1/agents/hello'],
      ['POST', '/v1/agents/hello/endpoints/greet/disable', {}],
      ['POST', '/v1/agents/hello/endpoints/greet/enable', {}],
      ['POST', '/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: 'x' } }],
      ['POST', '/v1/runs/batch', { runs: [{ agent: 'hello', endpoint: 'greet', input: { name: 'x' } }] }],
      ['DELETE', `/v1/keys/${ids.key}`],
      ['POST', `/v1/leases/${ids.lease}/heartbeat`, {}],
      ['POST', `/v1/leases/${ids.lease}/complete`, { output: { greeting: 'x' } }],
      ['POST', `/v1/leases/${ids.lease}/fail`, { error: { type: 'x', message: 'y' } }],
      ['POST', `/v1/leases/${ids.lease}/release`, {}],
      ['POST', `/v1/leases/${ids.lease}/events`, { events: [{ type: 'run.log', data: {} }] }],
    ] as [string, string, unknown?][];

    it("answers 404 to another tenant's key on every route that names a resource, and changes nothing", async () => {
      const before = (await t.call('GET', `/v1/runs/${ids.run}`)).json();
      let covered = 0;
      for (const [method, url, body] of idRoutes()) {
        const r = await t.call(method, url, { key: otherAdmin, body, headers: { accept: 'application/json' } });
        assert.equal(r.statusCode, 404, `${method} ${url} → ${r.statusCode} ${r.body}`);
        assert.ok(r.json().error.code.endsWith('NOT_FOUND'), r.body);
        covered++;
      }
      const after = (await t.call('GET', `/v1/runs/${ids.run}`)).json();
      assert.deepEqual(after, before);
      assert.equal((await t.call('GET', '/v1/agents/hello')).statusCode, 200);
      // Lists and streams of the other tenant show nothing of ours.
      assert.equal((await t.call('GET', '/v1/runs', { key: otherAdmin })).json().data.length, 0);
      assert.equal((await t.call('GET', '/v1/agents', { key: otherAdmin })).json().data.length, 0);
      assert.equal((await t.call('GET', '/v1/events?after=0', { key: otherAdmin, headers: { accept: 'application/json' } })).json().data.length, 0);
      assert.ok(!(await t.call('GET', '/v1/keys', { key: otherAdmin })).body.includes(ids.key));
      const leased = await t.call('POST', '/v1/worker/lease', { key: otherAdmin, body: { agent: 'hello', wait_ms: 0 } });
      assert.deepEqual(leased.json().tasks, []);
      t.app.log.info({ covered }, 'cross-tenant routes covered');
      assert.equal(covered, idRoutes().length);
    });

    it('lets each role reach exactly the routes it is allowed', async () => {
      const allowed: Record<string, Role[]> = {
        'GET /v1/runs': ['admin', 'developer', 'operator', 'approver', 'viewer'],
        'GET /v1/agents': ['admin', 'developer', 'operator', 'approver', 'viewer'],
        'GET /v1/events': ['admin', 'developer', 'operator', 'approver', 'viewer'],
        'POST /v1/runs': ['admin', 'developer', 'operator'],
        'POST /v1/agents': ['admin', 'developer'],
        'GET /v1/keys': ['admin'],
        'POST /v1/keys': ['admin'],
        // The worker protocol: worker keys (for their agents) and admin keys; never a developer's.
        'POST /v1/worker/lease': ['admin', 'worker'],
        'GET /openapi.json': ['admin', 'developer', 'operator', 'approver', 'viewer', 'worker'],
      };
      const bodies: Record<string, unknown> = {
        'POST /v1/runs': { agent: 'nope', endpoint: 'x', input: {} },
        'POST /v1/agents': { not: 'a manifest' },
        'POST /v1/keys': { role: 'bogus' },
        'POST /v1/worker/lease': { agent: 'nobody', wait_ms: 0 },
      };
      let checked = 0;
      for (const role of ROLES) {
        const key = await t.keyFor(role);
        for (const [route, roles] of Object.entries(allowed)) {
          const [method, url] = route.split(' ');
          const r = await t.call(method, url + (url === '/v1/events' ? '?after=0' : ''), { key, body: bodies[route], headers: { accept: 'application/json' } });
          if (roles.includes(role)) assert.notEqual(r.statusCode, 403, `${role} ${route} should pass, got ${r.body}`);
          else {
            assert.equal(r.statusCode, 403, `${role} ${route} should be 403, got ${r.statusCode}`);
            assert.equal(r.json().error.code, 'FORBIDDEN');
          }
          checked++;
        }
      }
      assert.equal(checked, ROLES.length * Object.keys(allowed).length);
    });

    it('answers 401 without a key, with a wrong key, and with a revoked key at once', async () => {
      assert.equal((await t.call('GET', '/v1/runs', { key: null })).statusCode, 401);
      assert.equal((await t.call('GET', '/v1/runs', { key: 'agd_wrongwrongwrongwrong' })).statusCode, 401);
      assert.equal((await t.call('GET', '/v1/runs', { key: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } })).statusCode, 401);
      assert.equal((await t.call('GET', '/v1/health', { key: null })).statusCode, 200);
      assert.equal((await t.call('GET', '/v1/no-such-route', { key: null })).statusCode, 401, 'unknown routes leak nothing without a key');
      assert.equal((await t.call('GET', '/v1/no-such-route')).statusCode, 404);
      const created = (await t.call('POST', '/v1/keys', { body: { role: 'developer', name: 'temp' } })).json();
      assert.match(created.key, /^agd_/);
      assert.equal(created.prefix, created.key.slice(0, 12));
      assert.equal((await t.call('GET', '/v1/runs', { key: created.key })).statusCode, 200);
      const revoked = await t.call('DELETE', `/v1/keys/${created.id}`);
      assert.equal(revoked.statusCode, 200);
      assert.ok(revoked.json().revoked_at);
      assert.equal((await t.call('GET', '/v1/runs', { key: created.key })).statusCode, 401, 'revocation is effective at once');
    });

    it('shows a key once: lists carry no key or hash, and the database holds only hashes', async () => {
      const created = (await t.call('POST', '/v1/keys', { body: { role: 'viewer' } })).json();
      const list = (await t.call('GET', '/v1/keys?limit=500')).body;
      assert.ok(!list.includes(created.key));
      assert.ok(!list.includes('hash'));
      assert.ok(!(await t.call('GET', '/v1/keys?limit=500')).json().data.some((k: Record<string, unknown>) => 'key' in k));
      const dump = await dumpDatabase(d.name, db);
      assert.ok(!dump.includes(created.key), 'no key material in a database dump');
      assert.ok(!dump.includes(t.adminKey));
      assert.ok(dump.includes(created.prefix), 'the dump does hold the display prefix (sanity check of the dump)');
    });

    it('ignores nothing silently: a key cannot be created with a tenant or another field', async () => {
      const r = await t.call('POST', '/v1/keys', { body: { role: 'admin', tenant_id: otherTenant } });
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error.details[0].path, 'body.tenant_id');
    });
  });
}

/** The whole database as text: the SQLite file's bytes (WAL included), or pg_dump. */
async function dumpDatabase(dialect: string, db: TestDatabase): Promise<string> {
  if (dialect === 'sqlite') {
    return readdirSync(db.location)
      .filter((f) => f.startsWith('agentd.db'))
      .map((f) => readFileSync(join(db.location, f)).toString('latin1'))
      .join('\n');
  }
  return execFileSync('pg_dump', ['--data-only', db.location], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
