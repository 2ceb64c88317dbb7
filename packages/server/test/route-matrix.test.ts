/**
 * TESTPLAN 17 and 18 over every registered route, generated from the app's own route table so a
 * new route cannot be left out:
 * - every route's permission is pinned below (a change is a reviewed diff), and every role ×
 *   every route is tried: exactly the roles holding the permission get past authorisation;
 * - every route that names a resource of tenant A (in its path, or an agent/secret/lease in its
 *   body) answers tenant B's admin key with 404 and changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROLES } from '@agentd/protocol';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';
import { ROLE_PERMISSIONS, type Permission } from '../src/http/auth.ts';
import { EgressPolicy } from '../src/egress/index.ts';
import { startMcpTestServer, type McpTestServer } from './helpers/mcp-test-server.ts';

/** Every route and the permission it declares (http/auth.ts); `public` needs no key. */
const PERMISSIONS: Record<string, Permission> = {
  'GET /v1/health': 'public',
  'GET /v1/health/ready': 'public',
  'GET /openapi.json': 'any',
  'GET /v1/approval-links/{token}': 'public',
  'POST /v1/approval-links/{token}': 'public',
  'GET /v1/agents': 'read',
  'POST /v1/agents': 'agents:write',
  'GET /v1/agents/{name}': 'read',
  'DELETE /v1/agents/{name}': 'agents:write',
  'GET /v1/agents/{name}/versions': 'read',
  'GET /v1/agents/{name}/versions/{version}': 'read',
  'POST /v1/agents/{name}/endpoints/{endpoint}/disable': 'agents:write',
  'POST /v1/agents/{name}/endpoints/{endpoint}/enable': 'agents:write',
  'GET /v1/workflows': 'read',
  'POST /v1/workflows': 'agents:write',
  'POST /v1/workflows/{name}/runs': 'runs:write',
  'GET /v1/workflows/{name}': 'read',
  'DELETE /v1/workflows/{name}': 'agents:write',
  'GET /v1/workflows/{name}/versions': 'read',
  'GET /v1/workflows/{name}/versions/{version}': 'read',
  'GET /v1/runs': 'read',
  'POST /v1/runs': 'runs:write',
  'POST /v1/runs/batch': 'runs:write',
  'GET /v1/runs/{id}': 'read',
  'GET /v1/runs/{id}/attempts': 'read',
  'GET /v1/runs/{id}/children': 'read',
  'GET /v1/runs/{id}/events': 'read',
  'GET /v1/runs/{id}/findings': 'read',
  'GET /v1/runs/{id}/logs': 'read',
  'POST /v1/runs/{id}/cancel': 'runs:write',
  'POST /v1/runs/{id}/retry': 'runs:write',
  'PATCH /v1/runs/{id}': 'runs:write',
  'POST /v1/runs/{id}/signals/{name}': 'runs:write',
  'GET /v1/runs/{id}/signals': 'read',
  'GET /v1/events': 'read',
  'GET /v1/findings': 'read',
  'GET /v1/logs': 'read',
  'GET /v1/audit': 'audit:read',
  'GET /v1/approvals': 'read',
  'GET /v1/approvals/{id}': 'read',
  'POST /v1/approvals/{id}/approve': 'approvals:decide',
  'POST /v1/approvals/{id}/reject': 'approvals:decide',
  'POST /v1/approvals/{id}/link': 'approvals:decide',
  'GET /v1/keys': 'keys:manage',
  'POST /v1/keys': 'keys:manage',
  'DELETE /v1/keys/{id}': 'keys:manage',
  'GET /v1/secrets': 'secrets:read',
  'POST /v1/secrets': 'secrets:manage',
  'POST /v1/secrets/rewrap': 'secrets:manage',
  'GET /v1/secrets/{name}': 'secrets:read',
  'DELETE /v1/secrets/{name}': 'secrets:manage',
  'POST /v1/secrets/{name}/rotate': 'secrets:manage',
  'GET /v1/grants': 'secrets:read',
  'POST /v1/grants': 'secrets:manage',
  'DELETE /v1/grants/{id}': 'secrets:manage',
  'POST /v1/worker/lease': 'worker',
  'POST /v1/worker/complete': 'worker',
  'POST /v1/leases/{lease_id}/heartbeat': 'worker',
  'POST /v1/leases/{lease_id}/complete': 'worker',
  'POST /v1/leases/{lease_id}/fail': 'worker',
  'POST /v1/leases/{lease_id}/release': 'worker',
  'POST /v1/leases/{lease_id}/events': 'worker',
  'POST /v1/leases/{lease_id}/approvals': 'worker',
  'GET /v1/leases/{lease_id}/approvals/{id}': 'worker',
  'POST /v1/leases/{lease_id}/calls': 'worker',
  'GET /v1/leases/{lease_id}/calls/{key}': 'worker',
  'POST /v1/leases/{lease_id}/findings': 'worker',
  'GET /v1/schedules': 'read',
  'POST /v1/schedules': 'schedules:write',
  'GET /v1/schedules/{id}': 'read',
  'PATCH /v1/schedules/{id}': 'schedules:write',
  'DELETE /v1/schedules/{id}': 'schedules:write',
  'POST /v1/schedules/{id}/pause': 'schedules:write',
  'POST /v1/schedules/{id}/resume': 'schedules:write',
  'POST /v1/schedules/{id}/run': 'schedules:write',
  'GET /v1/schedules/{id}/runs': 'read',
  'POST /v1/sessions': 'runs:write',
  'GET /v1/sessions': 'read',
  'GET /v1/sessions/{id}': 'read',
  'DELETE /v1/sessions/{id}': 'runs:write',
  'GET /v1/sessions/{id}/messages': 'read',
  'POST /v1/sessions/{id}/messages': 'runs:write',
  'POST /v1/sessions/{id}/pause': 'runs:write',
  'POST /v1/sessions/{id}/resume': 'runs:write',
  'POST /v1/sessions/{id}/end': 'runs:write',
  'POST /v1/sessions/{id}/fork': 'runs:write',
  'GET /v1/sessions/{id}/events': 'read',
  'POST /v1/leases/{lease_id}/signals/{name}/wait': 'worker',
  'POST /v1/leases/{lease_id}/steps': 'worker',
  'GET /v1/leases/{lease_id}/steps': 'worker',
  'GET /v1/webhooks': 'webhooks:read',
  'POST /v1/webhooks': 'webhooks:manage',
  'GET /v1/webhooks/{id}': 'webhooks:read',
  'PATCH /v1/webhooks/{id}': 'webhooks:manage',
  'DELETE /v1/webhooks/{id}': 'webhooks:manage',
  'POST /v1/webhooks/{id}/rotate-secret': 'webhooks:manage',
  'GET /v1/webhooks/{id}/deliveries': 'webhooks:read',
  'GET /v1/webhooks/{id}/deliveries/{delivery_id}': 'webhooks:read',
  'POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver': 'webhooks:manage',
  'GET /v1/triggers': 'webhooks:read',
  'POST /v1/triggers': 'webhooks:manage',
  'GET /v1/triggers/{id}': 'webhooks:read',
  'PATCH /v1/triggers/{id}': 'webhooks:manage',
  'DELETE /v1/triggers/{id}': 'webhooks:manage',
  'POST /v1/triggers/{id}/rotate-secret': 'webhooks:manage',
  'GET /v1/triggers/{id}/deliveries': 'webhooks:read',
  'POST /v1/hooks/{id}': 'public',
  'POST /v1/reload': 'config:reload',
  'GET /v1/models': 'read',
  'GET /v1/usage': 'read',
  'GET /v1/budgets': 'read',
  'PUT /v1/budgets': 'budgets:manage',
  'GET /v1/mcp-servers': 'mcp:read',
  'POST /v1/mcp-servers': 'mcp:manage',
  'GET /v1/mcp-servers/{name}': 'mcp:read',
  'DELETE /v1/mcp-servers/{name}': 'mcp:manage',
  'POST /v1/mcp-servers/{name}/approve': 'mcp:manage',
};

const GATE_MANIFEST = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'gate' },
  spec: { runtime: 'worker', endpoints: { pay: { input: { type: 'object' }, approval: { prompt: 'Pay?' } } } },
};

for (const d of await dialects()) {
  describe(`every route × every role, every id across tenants (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let otherAdmin: string;
    let mcp: McpTestServer;
    const ids: Record<string, string> = {};

    before(async () => {
      mcp = await startMcpTestServer();
      db = await d.create();
      t = await startTestApp(db, { webhooks: { egress: new EgressPolicy(['127.0.0.1']) } });
      const ok = async (method: string, url: string, body?: unknown, key?: string) => {
        const r = await t.call(method, url, { body, key });
        assert.ok(r.statusCode < 300, `${method} ${url} → ${r.statusCode} ${r.body}`);
        return r.json();
      };
      await ok('POST', '/v1/agents', HELLO_MANIFEST);
      await ok('POST', '/v1/agents', GATE_MANIFEST);
      // Named like the agent, so every `{name}` route below names a workflow of tenant A too.
      await ok('POST', '/v1/workflows', { apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name: 'hello' }, spec: { steps: [{ id: 'greet', agent: 'hello', endpoint: 'greet', input: { name: '{% input.name %}' } }] } });
      ids.run = (await ok('POST', '/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: 'A' } })).id;
      await ok('POST', '/v1/runs', { agent: 'gate', endpoint: 'pay', input: {} });
      ids.approval = (await ok('GET', '/v1/approvals?status=pending')).data[0].id;
      ids.token = (await ok('POST', `/v1/approvals/${ids.approval}/link`, {})).path.split('/').pop();
      const worker = await t.keyFor('worker', t.tenantId, ['hello']);
      ids.lease = (await ok('POST', '/v1/worker/lease', { agent: 'hello', wait_ms: 0 }, worker)).tasks[0].lease_id;
      ids.leaseApproval = (await ok('POST', `/v1/leases/${ids.lease}/approvals`, { key: 'k1', prompt: 'ok?' }, worker)).id;
      await ok('POST', `/v1/leases/${ids.lease}/findings`, { findings: [{ severity: 'info', summary: 'x' }] }, worker);
      await ok('POST', '/v1/secrets', { name: 's1', value: 'value-1' });
      ids.grant = (await ok('POST', '/v1/grants', { secret: 's1', agent: 'hello' })).id;
      ids.key = (await ok('POST', '/v1/keys', { role: 'viewer' })).id;
      ids.session = (await ok('POST', '/v1/sessions', { agent: 'hello' })).id;
      ids.schedule = (await ok('POST', '/v1/schedules', { id: 'nightly', cron: '0 2 * * *', target: { agent: 'hello', endpoint: 'greet' }, input: { name: 'A' } })).id;
      // Loopback, allowed for this app, on a port nothing serves (the delivery loop is not started anyway).
      ids.webhook = (await ok('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['run.*'] })).id;
      ids.trigger = (await ok('POST', '/v1/triggers', { target: { agent: 'hello', endpoint: 'greet' } })).id;
      await ok('POST', '/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: 'B' } });
      ids.delivery = (await ok('GET', `/v1/webhooks/${ids.webhook}/deliveries`)).data[0].id;
      // Named like the agent, so `/v1/mcp-servers/{name}` names one of tenant A's.
      await ok('POST', '/v1/mcp-servers', { name: 'hello', url: mcp.url });
      const other = await t.engine.tenants.create({ name: 'Other' });
      otherAdmin = await t.keyFor('admin', other.id);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
      await mcp?.close();
    });

    it('pins the permission of every registered route', () => {
      assert.deepEqual(Object.fromEntries([...t.app.routePermissions].sort()), Object.fromEntries(Object.entries(PERMISSIONS).sort()));
    });

    it('lets exactly the roles that hold a route’s permission past authorisation, on every route', async (ctx) => {
      let tried = 0;
      const keys = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await t.keyFor(role, t.tenantId, role === 'worker' ? ['nobody'] : undefined)] as const)));
      for (const [route, permission] of Object.entries(PERMISSIONS)) {
        if (permission === 'public') continue;
        const [method, path] = route.split(' ');
        // Ids nobody has: a request that gets past authorisation ends in 404/400/422, never in a change.
        const url = path.replace(/\{[a-z_]+\}/g, 'x0');
        for (const role of ROLES) {
          const r = await t.call(method, url, { key: keys[role], body: method === 'GET' || method === 'DELETE' ? undefined : {}, headers: { accept: 'application/json' } });
          const allowed = ROLE_PERMISSIONS[role].has(permission);
          if (allowed) assert.ok(!(r.statusCode === 403 && r.json().error.details?.needs === permission), `${role} ${route} should pass authorisation: ${r.body}`);
          else {
            assert.equal(r.statusCode, 403, `${role} ${route} should be 403, got ${r.statusCode} ${r.body}`);
            assert.equal(r.json().error.code, 'FORBIDDEN');
          }
          tried++;
        }
      }
      ctx.diagnostic(`${tried} role × route pairs tried over ${Object.keys(PERMISSIONS).length} routes (${ROLES.length} roles)`);
      assert.equal(tried, ROLES.length * Object.values(PERMISSIONS).filter((p) => p !== 'public').length);
    });

    it('answers 404 to another tenant on every route that names a resource, and changes nothing', async (ctx) => {
      const snapshot = async () =>
        JSON.stringify(
          await Promise.all(
            [`/v1/runs/${ids.run}`, `/v1/approvals/${ids.approval}`, '/v1/agents/hello', '/v1/workflows/hello', '/v1/secrets/s1', '/v1/grants', '/v1/keys', `/v1/runs/${ids.run}/findings`, `/v1/schedules/${ids.schedule}`, `/v1/schedules/${ids.schedule}/runs`, `/v1/webhooks/${ids.webhook}`, `/v1/triggers/${ids.trigger}`, '/v1/mcp-servers/hello', `/v1/sessions/${ids.session}`, `/v1/sessions/${ids.session}/messages`].map(async (u) => (await t.call('GET', u)).json()),
          ),
        );
      const before = await snapshot();
      const params: Record<string, string> = { name: 'hello', endpoint: 'greet', version: '1', lease_id: ids.lease, delivery_id: ids.delivery, key: 'call-1' };
      const idFor = (route: string) =>
        route.includes('/approvals/{id}') && !route.includes('/leases/') ? ids.approval : route.includes('/leases/') ? ids.leaseApproval : route.includes('/keys/') ? ids.key : route.includes('/grants/') ? ids.grant : route.includes('/schedules/') ? ids.schedule : route.includes('/sessions/') ? ids.session : route.includes('/webhooks/') ? ids.webhook : route.includes('/triggers/') ? ids.trigger : ids.run;
      const bodies: Record<string, unknown> = {
        'POST /v1/runs': { agent: 'hello', endpoint: 'greet', input: { name: 'x' } },
        'POST /v1/runs/batch': { runs: [{ agent: 'hello', endpoint: 'greet', input: { name: 'x' } }] },
        'POST /v1/grants': { secret: 's1', agent: 'hello' },
        'POST /v1/secrets/{name}/rotate': { value: 'value-2' },
        'POST /v1/approvals/{id}/reject': { reason: 'no' },
        'POST /v1/leases/{lease_id}/complete': { output: { greeting: 'x' } },
        'POST /v1/leases/{lease_id}/fail': { error: { type: 'x', message: 'y' } },
        'POST /v1/leases/{lease_id}/events': { events: [{ type: 'run.log', data: {} }] },
        'POST /v1/leases/{lease_id}/approvals': { key: 'k2', prompt: 'again?' },
        'POST /v1/leases/{lease_id}/calls': { agent: 'hello', endpoint: 'greet', input: { name: 'x' }, key: 'call-1' },
        'POST /v1/leases/{lease_id}/findings': { findings: [{ severity: 'info', summary: 'y' }] },
        'PATCH /v1/schedules/{id}': { paused: true },
        'PATCH /v1/runs/{id}': { generation: 1, max_attempts: 5 },
        'POST /v1/runs/{id}/signals/{name}': { n: 1 },
        'POST /v1/leases/{lease_id}/signals/{name}/wait': { key: 'go#1', wait_ms: 0 },
        'POST /v1/leases/{lease_id}/steps': { key: 'x', output: 1 },
        'PATCH /v1/webhooks/{id}': { description: 'taken' },
        'POST /v1/sessions': { agent: 'hello' },
        'POST /v1/sessions/{id}/messages': { content: { name: 'x' } },
        'PATCH /v1/triggers/{id}': { description: 'taken' },
        'PUT /v1/budgets': { agent: 'hello', period: 'day', max_tokens: 1 },
      };
      // Public routes whose path holds a credential, not a tenant's id: the signed token decides
      // (a trigger's deliveries: its signature, the same 401 for everybody who has not got it).
      const credentialRoutes = new Set(['GET /v1/approval-links/{token}', 'POST /v1/approval-links/{token}', 'POST /v1/hooks/{id}']);
      const named = Object.keys(PERMISSIONS).filter((r) => (r.includes('{') || r in bodies) && !credentialRoutes.has(r));
      for (const route of named) {
        const [method, path] = route.split(' ');
        const url = path.replace(/\{([a-z_]+)\}/g, (_m, p: string) => (p === 'id' ? idFor(route) : params[p]));
        const body = bodies[route] ?? (method === 'GET' || method === 'DELETE' ? undefined : {});
        const r = await t.call(method, url, { key: otherAdmin, body, headers: { accept: 'application/json' } });
        assert.equal(r.statusCode, 404, `${route} (${url}) → ${r.statusCode} ${r.body}`);
        assert.match(r.json().error.code, /NOT_FOUND$/, r.body);
      }
      // Ids inside a body that do not make the route fail: another tenant's lease ids complete nothing.
      const batch = await t.call('POST', '/v1/worker/complete', { key: otherAdmin, body: { results: [{ lease_id: ids.lease, output: { greeting: 'x' } }] } });
      assert.equal(batch.statusCode, 200, batch.body);
      assert.notEqual(batch.json().results[0].ok, true, batch.body);
      const leased = await t.call('POST', '/v1/worker/lease', { key: otherAdmin, body: { agent: 'hello', wait_ms: 0 } });
      assert.deepEqual(leased.json().tasks, []);
      assert.equal(await snapshot(), before);
      ctx.diagnostic(`${named.length + 2} routes that name a resource answered another tenant with 404 or nothing`);
      assert.ok(named.length >= 30, `only ${named.length} routes name a resource`);
    });
  });
}
