/**
 * Child runs through the worker protocol (POST /v1/leases/{id}/calls, the long-poll on a call),
 * on both databases: the call envelope, the parent's `waiting` (reason child) and its resume in
 * the child's terminal transaction (single and batched completion), the same key naming the
 * same child, cancel cascading through a tree, the depth and fan-out caps, the reads (children,
 * ?root=, the tenant stream of a tree) and tenant isolation.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

const agentManifest = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { work: { timeout: '5m', retry: { max_attempts: 3, initial_interval: '10ms', jitter: 0 } } } },
});

const LIMITS = { maxDepth: 3, maxChildren: 4 };

for (const d of await dialects()) {
  describe(`child runs (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;

    let parent: string, child: string, grandchild: string, deep: string;
    let n = 0;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { calls: LIMITS });
    });
    // Agents of their own for each test, so no test leases a run another one left queued.
    beforeEach(async () => {
      n++;
      [parent, child, grandchild, deep] = ['parent', 'child', 'grandchild', 'deep'].map((a) => `${a}-${n}`);
      for (const name of [parent, child, grandchild, deep]) {
        const r = await t.call('POST', '/v1/agents', { body: agentManifest(name) });
        assert.equal(r.statusCode, 201, r.body);
      }
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const createRun = async (agent: string, body: Record<string, unknown> = {}) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint: 'work', input: {}, ...body } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string }>();
    };
    const lease = async (agent: string) => {
      const r = await t.call('POST', '/v1/worker/lease', { body: { agent, wait_ms: 0, max_tasks: 1 } });
      assert.equal(r.statusCode, 200, r.body);
      const [task] = r.json<{ tasks: { lease_id: string; run_id: string; deadline_at: string | null; attempt: number }[] }>().tasks;
      assert.ok(task, `a task of ${agent}`);
      return task;
    };
    const callAs = (leaseId: string, body: Record<string, unknown>) => t.call('POST', `/v1/leases/${leaseId}/calls`, { body: { endpoint: 'work', input: {}, ...body } });
    const getRun = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const eventsOf = async (id: string) => (await t.call('GET', `/v1/runs/${id}/events?after=0&limit=1000`, { headers: { accept: 'application/json' } })).json<{ data: { type: string; data: any }[] }>().data;
    /** A root of `agent` leased, with a child of `child` started through its lease. */
    const rootWithChild = async (key = 'call-1', childAgent = child) => {
      const root = await createRun(parent);
      const task = await lease(parent);
      const r = await callAs(task.lease_id, { agent: childAgent, key, input: { n: 1 } });
      assert.equal(r.statusCode, 201, r.body);
      return { root, task, kid: r.json() };
    };

    it('a call makes a child with the call envelope; the parent waits (reason child) and resumes when the child succeeds', async () => {
      const { root, task, kid } = await rootWithChild();
      assert.equal(kid.parent_run_id, root.id);
      assert.equal(kid.root_run_id, root.id);
      assert.equal(kid.depth, 1);
      assert.equal(kid.caller_agent, parent);
      assert.equal(kid.call_key, 'call-1');
      assert.equal(kid.kind, 'agent');
      assert.equal(kid.step, null);
      const waiting = await getRun(root.id);
      assert.equal(waiting.status, 'waiting');
      assert.equal(waiting.waiting_reason, 'child');
      assert.equal(waiting.root_run_id, root.id);
      assert.equal(waiting.depth, 0);
      assert.equal(waiting.parent_run_id, null);
      // The parent keeps its lease while it waits.
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/heartbeat`, { body: {} })).json().status, 'active');
      // The long-poll answers the live child at its timeout...
      const live = await t.call('GET', `/v1/leases/${task.lease_id}/calls/call-1?wait_ms=0`);
      assert.equal(live.statusCode, 200, live.body);
      assert.equal(live.json().status, 'queued');
      // ...and the ended one once it ends.
      const ct = await lease(child);
      const poll = t.call('GET', `/v1/leases/${task.lease_id}/calls/call-1?wait_ms=10000`);
      assert.equal((await t.call('POST', `/v1/leases/${ct.lease_id}/complete`, { body: { output: { answer: 42 } } })).statusCode, 200);
      const done = (await poll).json();
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.output, { answer: 42 });
      const resumed = await getRun(root.id);
      assert.equal(resumed.status, 'running');
      assert.equal(resumed.waiting_reason, null);
      const types = (await eventsOf(root.id)).map((e) => `${e.type}${e.data.reason ? `:${e.data.reason}` : ''}`);
      assert.deepEqual(types, ['run.queued', 'run.started', 'run.waiting:child', 'run.resumed:child']);
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: { ok: true } } })).statusCode, 200);
    });

    it('the same key gives the same child (200); another agent or input under it is 409 CALL_KEY_CONFLICT', async () => {
      const { task, kid } = await rootWithChild('same');
      const again = await callAs(task.lease_id, { agent: child, key: 'same', input: { n: 1 } });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().id, kid.id);
      for (const body of [{ agent: child, key: 'same', input: { n: 2 } }, { agent: grandchild, key: 'same', input: { n: 1 } }]) {
        const r = await callAs(task.lease_id, body);
        assert.equal(r.statusCode, 409, r.body);
        assert.equal(r.json().error.code, 'CALL_KEY_CONFLICT');
        assert.equal(r.json().error.details.child_run_id, kid.id);
      }
      const kids = (await t.call('GET', `/v1/runs/${kid.parent_run_id}/children`)).json();
      assert.equal(kids.data.length, 1);
    });

    it("a child's deadline is the earlier of its parent's and the requested one", async () => {
      const soon = new Date(Date.now() + 3_600_000).toISOString();
      const later = new Date(Date.now() + 7_200_000).toISOString();
      await createRun(parent, { deadline: soon });
      const task = await lease(parent);
      const inherited = (await callAs(task.lease_id, { agent: child, key: 'a', deadline: later })).json();
      assert.equal(inherited.deadline_at, soon);
      const earlier = new Date(Date.now() + 1_800_000).toISOString();
      const own = (await callAs(task.lease_id, { agent: child, key: 'b', deadline: earlier })).json();
      assert.equal(own.deadline_at, earlier);
      const none = (await callAs(task.lease_id, { agent: child, key: 'c' })).json();
      assert.equal(none.deadline_at, soon);
    });

    it('cancelling the root cancels its live descendants through a tree of depth 3, in the same write', async () => {
      const { root, task, kid } = await rootWithChild('t');
      const ct = await lease(child);
      assert.equal(ct.run_id, kid.id);
      const grand = (await callAs(ct.lease_id, { agent: grandchild, key: 'g' })).json();
      assert.equal(grand.depth, 2);
      assert.equal(grand.root_run_id, root.id);
      assert.equal(grand.caller_agent, child);
      const gt = await lease(grandchild);
      const leaf = (await callAs(gt.lease_id, { agent: deep, key: 'd' })).json();
      assert.equal(leaf.depth, 3);
      const r = await t.call('POST', `/v1/runs/${root.id}/cancel`, { body: { reason: 'stop the tree' } });
      assert.equal(r.statusCode, 200, r.body);
      for (const id of [root.id, kid.id, grand.id, leaf.id]) assert.equal((await getRun(id)).status, 'cancelled', id);
      const cancelled = (await eventsOf(leaf.id)).find((e) => e.type === 'run.cancelled');
      assert.equal(cancelled?.data.parent_run_id, grand.id);
      // The parents' heartbeats say cancelled: their workers stop.
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/heartbeat`, { body: {} })).json().status, 'cancelled');
      assert.equal((await t.call('POST', `/v1/leases/${gt.lease_id}/heartbeat`, { body: {} })).json().status, 'cancelled');
      // The whole tree, one listing.
      const tree = (await t.call('GET', `/v1/runs?root=${root.id}`)).json().data.map((x: { id: string }) => x.id).sort();
      assert.deepEqual(tree, [root.id, kid.id, grand.id, leaf.id].sort());
    });

    it('a parent that fails for good cancels its live children', async () => {
      const { task, kid } = await rootWithChild('f');
      const r = await t.call('POST', `/v1/leases/${task.lease_id}/fail`, { body: { error: { type: 'boom', message: 'no', non_retryable: true } } });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().status, 'failed');
      assert.equal((await getRun(kid.id)).status, 'cancelled');
    });

    it('depth beyond the cap is 422 CALL_DEPTH_EXCEEDED; children beyond the cap are 422 CHILD_LIMIT_EXCEEDED', async () => {
      await createRun(deep);
      let task = await lease(deep);
      for (let depth = 1; depth <= LIMITS.maxDepth; depth++) {
        const r = await callAs(task.lease_id, { agent: deep, key: 'next' });
        assert.equal(r.statusCode, 201, r.body);
        task = await lease(deep);
        assert.equal(task.run_id, r.json().id);
      }
      const over = await callAs(task.lease_id, { agent: deep, key: 'next' });
      assert.equal(over.statusCode, 422, over.body);
      assert.equal(over.json().error.code, 'CALL_DEPTH_EXCEEDED');
      assert.equal(over.json().error.details.max_depth, LIMITS.maxDepth);

      await createRun(parent);
      const p = await lease(parent);
      for (let i = 0; i < LIMITS.maxChildren; i++) assert.equal((await callAs(p.lease_id, { agent: child, key: `k${i}` })).statusCode, 201);
      const wide = await callAs(p.lease_id, { agent: child, key: 'one-more' });
      assert.equal(wide.statusCode, 422, wide.body);
      assert.equal(wide.json().error.code, 'CHILD_LIMIT_EXCEEDED');
      // An existing key is no new child: still answered.
      assert.equal((await callAs(p.lease_id, { agent: child, key: 'k0' })).statusCode, 200);
    });

    it('a deadline already in the past is 422 CALL_DEADLINE_PASSED and makes no child; a replay of an existing key still answers', async () => {
      const { root, task } = await rootWithChild('dl-1');
      const past = new Date(Date.parse('2000-01-01T00:00:00Z')).toISOString();
      const r = await callAs(task.lease_id, { agent: child, key: 'dl-2', deadline: past });
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'CALL_DEADLINE_PASSED');
      const kids = (await t.call('GET', `/v1/runs/${root.id}/children`)).json().data as { call_key: string }[];
      assert.deepEqual(kids.map((k) => k.call_key), ['dl-1']);
      assert.equal((await callAs(task.lease_id, { agent: child, key: 'dl-1', input: { n: 1 }, deadline: past })).statusCode, 200, 'the existing child');
    });

    it('the batched completion resumes a parent whose last child it completes', async () => {
      const { root, task } = await rootWithChild('b1');
      const second = await callAs(task.lease_id, { agent: child, key: 'b2' });
      assert.equal(second.statusCode, 201);
      const c1 = await lease(child);
      const c2 = await lease(child);
      const first = await t.call('POST', '/v1/worker/complete', { body: { results: [{ lease_id: c1.lease_id, output: { i: 1 } }] } });
      assert.deepEqual(first.json().results.map((x: { ok: boolean }) => x.ok), [true]);
      assert.equal((await getRun(root.id)).status, 'waiting', 'one child is still live');
      const last = await t.call('POST', '/v1/worker/complete', { body: { results: [{ lease_id: c2.lease_id, output: { i: 2 } }] } });
      assert.deepEqual(last.json().results.map((x: { ok: boolean }) => x.ok), [true]);
      const resumed = await getRun(root.id);
      assert.equal(resumed.status, 'running');
      const kids = (await t.call('GET', `/v1/runs/${root.id}/children?limit=1`)).json();
      assert.equal(kids.data.length, 1);
      assert.ok(kids.next_cursor);
      const rest = (await t.call('GET', `/v1/runs/${root.id}/children?limit=1&cursor=${encodeURIComponent(kids.next_cursor)}`)).json();
      assert.equal(rest.data.length, 1);
      assert.deepEqual([kids.data[0].call_key, rest.data[0].call_key].sort(), ['b1', 'b2']);
    });

    it('the tenant event stream follows a tree with ?root=', async () => {
      const { root, kid } = await rootWithChild('ev');
      const other = await createRun(grandchild);
      const page = (await t.call('GET', `/v1/events?after=0&limit=1000&root=${root.id}`, { headers: { accept: 'application/json' } })).json<{ data: { run_id: string }[] }>();
      const runs = new Set(page.data.map((e) => e.run_id));
      assert.deepEqual([...runs].sort(), [root.id, kid.id].sort());
      assert.ok(!runs.has(other.id));
    });

    it("another tenant sees none of a tree: children 404, ?root= empty, calls through another tenant's lease 404", async () => {
      const { root, task } = await rootWithChild('iso');
      const tenant = await t.engine.tenants.create({ name: `other-${d.name}` });
      const key = (await t.engine.keys.create({ tenantId: tenant.id, role: 'admin', name: 'other admin' })).key;
      const kids = await t.call('GET', `/v1/runs/${root.id}/children`, { key });
      assert.equal(kids.statusCode, 404);
      assert.equal(kids.json().error.code, 'RUN_NOT_FOUND');
      assert.deepEqual((await t.call('GET', `/v1/runs?root=${root.id}`, { key })).json().data, []);
      const events = (await t.call('GET', `/v1/events?after=0&root=${root.id}`, { key, headers: { accept: 'application/json' } })).json();
      assert.deepEqual(events.data, []);
      const call = await t.call('POST', `/v1/leases/${task.lease_id}/calls`, { key, body: { agent: child, endpoint: 'work', key: 'x' } });
      assert.equal(call.statusCode, 404, call.body);
      const poll = await t.call('GET', `/v1/leases/${task.lease_id}/calls/iso?wait_ms=0`, { key });
      assert.equal(poll.statusCode, 404, poll.body);
      // A viewer reads the tree; it may not call.
      const viewer = await t.keyFor('viewer');
      assert.equal((await t.call('GET', `/v1/runs/${root.id}/children`, { key: viewer })).statusCode, 200);
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/calls`, { key: viewer, body: { agent: child, endpoint: 'work' } })).statusCode, 403);
    });

    it('an unknown agent is 404 and nothing changes; a call through a stale lease is 409 LEASE_LOST', async () => {
      const { root, task } = await rootWithChild('u');
      const r = await callAs(task.lease_id, { agent: 'nobody', key: 'u2' });
      assert.equal(r.statusCode, 404, r.body);
      assert.equal(r.json().error.code, 'AGENT_NOT_FOUND');
      await t.call('POST', `/v1/runs/${root.id}/cancel`, { body: {} });
      const stale = await callAs(task.lease_id, { agent: child, key: 'u3' });
      assert.equal(stale.statusCode, 409, stale.body);
      assert.equal(stale.json().error.code, 'LEASE_LOST');
    });
  });
}
