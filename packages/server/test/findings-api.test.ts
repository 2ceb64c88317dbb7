import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

/** A second agent, so the agent filter has something to tell apart. */
const SCANNER = { ...HELLO_MANIFEST, metadata: { name: 'scanner' }, spec: { runtime: 'worker', endpoints: { scan: { input: {}, output: {}, timeout: '30s' } } } };

interface FindingJson {
  id: string;
  run_id: string;
  agent: string;
  severity: string;
  source: string | null;
  file: string | null;
  summary: string;
  details: unknown;
  created_at: string;
}

for (const d of await dialects()) {
  describe(`findings (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let workerKey: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      for (const m of [HELLO_MANIFEST, SCANNER]) assert.equal((await t.call('POST', '/v1/agents', { body: m })).statusCode, 201);
      workerKey = await t.keyFor('worker');
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    /** Creates a run of `agent` and leases it; returns the run id and the lease id. */
    const leasedRun = async (agent = 'hello') => {
      const endpoint = agent === 'hello' ? 'greet' : 'scan';
      const run = await t.call('POST', '/v1/runs', { body: { agent, endpoint, input: agent === 'hello' ? { name: 'x' } : {} } });
      assert.equal(run.statusCode, 201, run.body);
      const leased = await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent, wait_ms: 0 } });
      const [task] = leased.json().tasks as { lease_id: string; run_id: string }[];
      assert.equal(task.run_id, run.json().id);
      return { runId: task.run_id, leaseId: task.lease_id };
    };
    const post = (leaseId: string, findings: unknown[], headers: Record<string, string> = {}) => t.call('POST', `/v1/leases/${leaseId}/findings`, { key: workerKey, body: { findings }, headers });
    const get = async (url: string, key?: string) => {
      const r = await t.call('GET', url, { key });
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as { data: FindingJson[]; next_cursor: string | null };
    };

    it('stores findings posted through a lease, each with a run.finding event; a stale lease is 409, an unknown one 404', async () => {
      const { runId, leaseId } = await leasedRun();
      const r = await post(leaseId, [
        { severity: 'critical', summary: 'SQL injection', source: 'semgrep', file: 'src/db.ts:14', details: { rule: 'sqli', cwe: 89 } },
        { severity: 'info', summary: 'Uses eval' },
      ]);
      assert.equal(r.statusCode, 201, r.body);
      const stored = r.json().data as FindingJson[];
      assert.equal(stored.length, 2);
      assert.equal(Number(stored[1].id), Number(stored[0].id) + 1, 'ids are consecutive within a post');
      assert.deepEqual(
        { ...stored[0], id: undefined, created_at: undefined },
        { id: undefined, created_at: undefined, run_id: runId, agent: 'hello', severity: 'critical', summary: 'SQL injection', source: 'semgrep', file: 'src/db.ts:14', details: { rule: 'sqli', cwe: 89 } },
      );
      assert.deepEqual([stored[1].source, stored[1].file, stored[1].details], [null, null, null]);

      const events = (await t.call('GET', `/v1/runs/${runId}/events`, { headers: { accept: 'application/json' } })).json().data as { type: string; data: Record<string, unknown> }[];
      const findingEvents = events.filter((e) => e.type === 'run.finding');
      assert.deepEqual(findingEvents.map((e) => e.data.finding_id), stored.map((f) => f.id));
      assert.equal(findingEvents[0].data.summary, 'SQL injection');

      const perRun = await get(`/v1/runs/${runId}/findings`);
      assert.deepEqual(perRun.data, stored);
      assert.equal(perRun.next_cursor, stored[1].id);
      assert.deepEqual((await get(`/v1/runs/${runId}/findings?since=${stored[1].id}`)), { data: [], next_cursor: null });

      assert.equal((await t.call('POST', `/v1/leases/${leaseId}/complete`, { key: workerKey, body: { output: { greeting: 'hi' } } })).statusCode, 200);
      const stale = await post(leaseId, [{ severity: 'info', summary: 'too late' }]);
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json().error.code, 'LEASE_LOST');
      const unknown = await post('lse_nope', [{ severity: 'info', summary: 'who?' }]);
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().error.code, 'LEASE_NOT_FOUND');
      assert.equal((await get(`/v1/runs/${runId}/findings`)).data.length, 2, 'refused posts stored nothing');
    });

    it('validates findings: severity, summary, 1 to 100 per post, no unknown fields', async () => {
      const { leaseId } = await leasedRun('scanner');
      for (const bad of [[], Array.from({ length: 101 }, () => ({ severity: 'info', summary: 's' })), [{ severity: 'fatal', summary: 's' }], [{ severity: 'info', summary: '' }], [{ severity: 'info' }], [{ severity: 'info', summary: 's', tenant_id: 'x' }]]) {
        const r = await post(leaseId, bad);
        assert.equal(r.statusCode, 400, JSON.stringify(bad).slice(0, 80));
        assert.equal(r.json().error.code, 'VALIDATION_ERROR');
      }
      assert.equal((await post(leaseId, Array.from({ length: 100 }, (_, i) => ({ severity: 'info', summary: `n${i}` })))).statusCode, 201);
    });

    it('a retried post with the same Idempotency-Key stores nothing twice', async () => {
      const { runId, leaseId } = await leasedRun('scanner');
      const first = await post(leaseId, [{ severity: 'warning', summary: 'once' }], { 'idempotency-key': 'k-1' });
      const again = await post(leaseId, [{ severity: 'warning', summary: 'once' }], { 'idempotency-key': 'k-1' });
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.json(), first.json());
      assert.equal((await get(`/v1/runs/${runId}/findings`)).data.length, 1);
    });

    it('filters by severity (one or several), agent and run; the per-run list 404s for an unknown run', async () => {
      const a = await leasedRun('hello');
      const b = await leasedRun('scanner');
      await post(a.leaseId, [{ severity: 'critical', summary: 'a1' }, { severity: 'warning', summary: 'a2' }]);
      await post(b.leaseId, [{ severity: 'info', summary: 'b1' }, { severity: 'critical', summary: 'b2' }]);
      const mine = (f: FindingJson) => f.run_id === a.runId || f.run_id === b.runId;
      const summaries = async (query: string) => (await get(`/v1/findings?limit=500&${query}`)).data.filter(mine).map((f) => f.summary);
      assert.deepEqual(await summaries('severity=critical'), ['a1', 'b2']);
      assert.deepEqual(await summaries('severity=critical,info'), ['a1', 'b1', 'b2']);
      assert.deepEqual(await summaries(`run=${b.runId}`), ['b1', 'b2']);
      assert.deepEqual(await summaries('agent=hello&severity=warning'), ['a2']);
      assert.deepEqual((await get(`/v1/runs/${a.runId}/findings?severity=warning`)).data.map((f) => f.summary), ['a2']);
      assert.equal((await t.call('GET', '/v1/findings?severity=fatal')).statusCode, 400);
      assert.equal((await t.call('GET', '/v1/findings?since=abc')).statusCode, 400);
      const missing = await t.call('GET', '/v1/runs/run_nope/findings');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'RUN_NOT_FOUND');
    });

    it('a follower with `since` sees every finding exactly once, in id order, while writers keep posting', async () => {
      const writers = [];
      for (const agent of ['hello', 'scanner', 'hello', 'scanner']) writers.push(await leasedRun(agent));
      const start = (await get('/v1/findings?limit=500')).data.at(-1)?.id ?? '0';
      const POSTS = 25;
      let writing = true;
      const posted: string[] = [];
      const writes = Promise.all(
        writers.map(async (w, wi) => {
          for (let i = 0; i < POSTS; i++) {
            // Uneven batches from several leases at once: ids interleave across commits.
            const batch = Array.from({ length: 1 + ((i + wi) % 3) }, (_, j) => ({ severity: 'info', summary: `w${wi}-${i}-${j}` }));
            // A log append to the same run at the same time: both lock the run row, and the
            // finding counter must not deadlock them on PostgreSQL.
            const [r, logged] = await Promise.all([
              post(w.leaseId, batch),
              t.call('POST', `/v1/leases/${w.leaseId}/events`, { key: workerKey, body: { events: [{ type: 'run.log', data: { level: 'info', message: `l${i}` } }] } }),
            ]);
            assert.equal(r.statusCode, 201, r.body);
            assert.equal(logged.statusCode, 200, logged.body);
            for (const f of r.json().data as FindingJson[]) posted.push(f.id);
          }
        }),
      ).finally(() => (writing = false));
      const seen: string[] = [];
      let since = start;
      for (;;) {
        const stillWriting = writing;
        const page = await get(`/v1/findings?since=${since}&limit=7`);
        for (const f of page.data) seen.push(f.id);
        if (page.next_cursor) since = page.next_cursor;
        else if (!stillWriting) break;
        else await new Promise((resolve) => setImmediate(resolve));
      }
      await writes;
      assert.equal(new Set(seen).size, seen.length, 'no finding seen twice');
      assert.deepEqual([...seen].sort((x, y) => Number(x) - Number(y)), seen, 'ascending');
      assert.deepEqual([...seen].sort(), [...posted].sort(), 'every posted finding seen');
      let total = 0;
      for (let wi = 0; wi < writers.length; wi++) for (let i = 0; i < POSTS; i++) total += 1 + ((i + wi) % 3);
      assert.equal(seen.length, total);
    });

    it('streams findings over SSE with Accept: text/event-stream, resuming after `since`', async () => {
      const { leaseId } = await leasedRun('scanner');
      const first = (await post(leaseId, [{ severity: 'warning', summary: 'before' }])).json().data[0] as FindingJson;
      const base = await t.listen();
      const ac = new AbortController();
      const res = await fetch(`${base}/v1/findings?since=${Number(first.id) - 1}&agent=scanner`, { headers: { authorization: `Bearer ${t.adminKey}`, accept: 'text/event-stream' }, signal: ac.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const frames = async (n: number) => {
        while ((text.match(/^event: finding$/gm) ?? []).length < n) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
      };
      await frames(1);
      await post(leaseId, [{ severity: 'critical', summary: 'after' }]);
      await frames(2);
      ac.abort();
      await reader.cancel().catch(() => {});
      const summaries = [...text.matchAll(/^data: (.*)$/gm)].map((m) => (JSON.parse(m[1]) as FindingJson).summary);
      assert.deepEqual(summaries, ['before', 'after']);
      assert.match(text, new RegExp(`^id: ${first.id}$`, 'm'));
    });

    it('is readable by a viewer; a worker key may post but not read', async () => {
      const viewer = await t.keyFor('viewer');
      assert.equal((await t.call('GET', '/v1/findings', { key: viewer })).statusCode, 200);
      const { runId, leaseId } = await leasedRun('scanner');
      assert.equal((await t.call('GET', `/v1/runs/${runId}/findings`, { key: viewer })).statusCode, 200);
      assert.equal((await t.call('GET', '/v1/findings', { key: workerKey })).statusCode, 403);
      const byViewer = await t.call('POST', `/v1/leases/${leaseId}/findings`, { key: viewer, body: { findings: [{ severity: 'info', summary: 's' }] } });
      assert.equal(byViewer.statusCode, 403);
    });
  });
}
