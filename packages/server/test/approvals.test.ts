import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

const GATED = {
  ...HELLO_MANIFEST,
  metadata: { name: 'gated' },
  spec: {
    runtime: 'worker',
    endpoints: {
      pay: { approval: { prompt: 'Pay this?', timeout: '1h', on_timeout: 'reject' } },
      quorum: { approval: { prompt: 'Two of us', required_approvals: 2 } },
      lazy: { approval: { prompt: 'Default yes', timeout: '10m', on_timeout: 'approve' } },
      strict: { approval: { prompt: 'Or fail', timeout: '10m', on_timeout: 'fail_run' } },
      assigned: { approval: { prompt: 'Only Ada', assignees: ['ada'] } },
    },
  },
};
const WORKERISH = { ...HELLO_MANIFEST, metadata: { name: 'asker' }, spec: { runtime: 'worker', endpoints: { act: { timeout: '10s', retry: { max_attempts: 3 } } } } };

for (const d of await dialects()) {
  describe(`approvals (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    let approver: string;
    let approver2: string;
    let viewer: string;
    let worker: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      assert.equal((await t.call('POST', '/v1/agents', { body: GATED })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: WORKERISH })).statusCode, 201);
      approver = (await t.engine.keys.create({ tenantId: 'default', role: 'approver', name: 'ada' })).key;
      approver2 = (await t.engine.keys.create({ tenantId: 'default', role: 'approver', name: 'bo' })).key;
      viewer = await t.keyFor('viewer');
      worker = await t.keyFor('worker');
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async (endpoint: string, agent = 'gated') => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint, input: { amount: 5 } } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const pendingFor = async (runId: string) => (await t.call('GET', `/v1/approvals?status=pending&run=${runId}`)).json().data;
    const lease = async (agent: string) => (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent, wait_ms: 0 } })).json().tasks;
    const types = async (runId: string) => (await t.call('GET', `/v1/runs/${runId}/events`, { headers: { accept: 'application/json' } })).json().data.map((e: { type: string }) => e.type);

    it('a manifest approval holds the run waiting and unleasable until approved, then it is queued', async () => {
      const run = await create('pay');
      assert.equal(run.status, 'waiting');
      assert.equal(run.waiting_reason, 'approval');
      const [a] = await pendingFor(run.id);
      assert.equal(a.prompt, 'Pay this?');
      assert.deepEqual(a.payload, { input: { amount: 5 } });
      assert.equal((await lease('gated')).length, 0, 'no worker may lease it while it waits');
      const denied = await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: viewer, body: {} });
      assert.equal(denied.statusCode, 403);
      const ok = await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver, body: { comment: 'fine' } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().status, 'approved');
      assert.equal(ok.json().approved, true);
      assert.equal(ok.json().comment, 'fine');
      assert.match(ok.json().decided_by, /^key_/);
      assert.equal((await t.call('GET', `/v1/runs/${run.id}`)).json().status, 'queued');
      const tasks = await lease('gated');
      assert.equal(tasks[0].run_id, run.id);
      const second = await t.call('POST', `/v1/approvals/${a.id}/reject`, { key: approver2, body: { reason: 'late' } });
      assert.equal(second.statusCode, 409);
      assert.equal(second.json().error.code, 'APPROVAL_ALREADY_DECIDED');
      assert.equal(second.json().error.details.status, 'approved', 'the 409 carries the recorded decision');
      assert.deepEqual(await types(run.id), ['run.queued', 'approval.requested', 'run.waiting', 'approval.decided', 'run.resumed', 'run.started']);
    });

    it('a rejection needs a reason and fails a manifest-gated run', async () => {
      const run = await create('pay');
      const [a] = await pendingFor(run.id);
      assert.equal((await t.call('POST', `/v1/approvals/${a.id}/reject`, { key: approver, body: {} })).statusCode, 400);
      const r = await t.call('POST', `/v1/approvals/${a.id}/reject`, { key: approver, body: { reason: 'too much' } });
      assert.equal(r.json().status, 'rejected');
      const after = (await t.call('GET', `/v1/runs/${run.id}`)).json();
      assert.equal(after.status, 'failed');
      assert.equal(after.error.type, 'approval_rejected');
      assert.equal(after.error.message, 'too much');
    });

    it('two approvers at once: exactly one decision is recorded, the other gets 409', async () => {
      for (let i = 0; i < 5; i++) {
        const run = await create('pay');
        const [a] = await pendingFor(run.id);
        const [x, y] = await Promise.all([
          t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver, body: {} }),
          t.call('POST', `/v1/approvals/${a.id}/reject`, { key: approver2, body: { reason: 'no' } }),
        ]);
        assert.deepEqual([x.statusCode, y.statusCode].sort(), [200, 409]);
        const final = (await t.call('GET', `/v1/approvals/${a.id}`)).json();
        assert.equal(final.votes.length, 1, 'the loser left no vote');
        const runNow = (await t.call('GET', `/v1/runs/${run.id}`)).json();
        assert.equal(runNow.status, final.status === 'approved' ? 'queued' : 'failed');
      }
    });

    it('quorum: two distinct approvers are needed; the same approver twice is 409', async () => {
      const run = await create('quorum');
      const [a] = await pendingFor(run.id);
      const first = await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver, body: {} });
      assert.equal(first.json().status, 'pending');
      assert.equal(first.json().votes.length, 1);
      const again = await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver, body: {} });
      assert.equal(again.statusCode, 409);
      const second = await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver2, body: {} });
      assert.equal(second.json().status, 'approved');
      assert.equal((await t.call('GET', `/v1/runs/${run.id}`)).json().status, 'queued');
    });

    it('assignees: only a listed key (by name or id) may decide', async () => {
      const run = await create('assigned');
      const [a] = await pendingFor(run.id);
      const bo = await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver2, body: {} });
      assert.equal(bo.statusCode, 403);
      assert.equal((await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver, body: {} })).statusCode, 200);
      assert.equal((await t.call('GET', `/v1/approvals?assignee=ada&run=${run.id}`)).json().data.length, 1);
      assert.equal((await t.call('GET', `/v1/approvals?assignee=bo&run=${run.id}`)).json().data.length, 0);
    });

    it('the assignee filter matches LIKE wildcards literally (% and _ are escaped, not stripped)', async () => {
      const names = ['a_b', 'axb', '50%', '500', 'back\\slash'];
      const endpoints = Object.fromEntries(names.map((n, i) => [`e${i}`, { approval: { prompt: 'p', assignees: [n] } }]));
      assert.equal((await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'wild' }, spec: { runtime: 'worker', endpoints } } })).statusCode, 201);
      const byName = new Map<string, string>();
      for (let i = 0; i < names.length; i++) byName.set(names[i], (await pendingFor((await create(`e${i}`, 'wild')).id))[0].id);
      for (const n of names) {
        const found = (await t.call('GET', `/v1/approvals?agent=wild&assignee=${encodeURIComponent(n)}`)).json().data.map((x: { id: string }) => x.id);
        assert.deepEqual(found, [byName.get(n)], `assignee=${n} finds exactly its own approval`);
      }
      for (const pattern of ['%', '_', 'a%', '5_%']) {
        const found = (await t.call('GET', `/v1/approvals?agent=wild&assignee=${encodeURIComponent(pattern)}`)).json().data;
        assert.equal(found.length, 0, `assignee=${pattern} is not a wildcard`);
      }
    });

    it('timeout policies fire on the server clock: reject, approve, fail_run; a decision after expiry is 409', async () => {
      const rejectRun = await create('pay');
      const approveRun = await create('lazy');
      const failRun = await create('strict');
      const [ra] = await pendingFor(rejectRun.id);
      clock.advance(11 * 60_000);
      const swept = await t.engine.sweeper.sweepOnce();
      assert.equal(swept.approvalsExpired, 2, 'the 10-minute ones');
      assert.equal((await t.call('GET', `/v1/runs/${approveRun.id}`)).json().status, 'queued');
      const failed = (await t.call('GET', `/v1/runs/${failRun.id}`)).json();
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error.type, 'approval_timeout');
      assert.equal((await t.call('GET', `/v1/runs/${rejectRun.id}`)).json().status, 'waiting');
      clock.advance(60 * 60_000);
      await t.engine.sweeper.sweepOnce();
      const rejected = (await t.call('GET', `/v1/runs/${rejectRun.id}`)).json();
      assert.equal(rejected.status, 'failed');
      assert.equal(rejected.error.type, 'approval_expired');
      const late = await t.call('POST', `/v1/approvals/${ra.id}/approve`, { key: approver, body: {} });
      assert.equal(late.statusCode, 409);
      assert.equal(late.json().error.code, 'APPROVAL_EXPIRED');
      assert.equal(late.json().error.details.approved, false);
      assert.ok((await types(approveRun.id)).includes('approval.expired'));
    });

    it('cancelling a run cancels its pending approvals', async () => {
      const run = await create('pay');
      const [a] = await pendingFor(run.id);
      await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: {} });
      const after = (await t.call('GET', `/v1/approvals/${a.id}`)).json();
      assert.equal(after.status, 'cancelled');
      assert.equal((await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: approver, body: {} })).statusCode, 409);
      const ev = await types(run.id);
      assert.equal(ev.at(-1), 'run.cancelled', 'the terminal event stays last');
    });

    it('a worker approval: the run waits with its lease kept; a retry after a crash gets the same approval, decided', async () => {
      const run = await create('act', 'asker');
      const [task] = await lease('asker');
      const ask = { key: 'approval-1', prompt: 'Do it?', payload: { amount: 5 } };
      const a1 = await t.call('POST', `/v1/leases/${task.lease_id}/approvals`, { key: worker, body: ask });
      assert.equal(a1.statusCode, 200, a1.body);
      assert.equal((await t.call('GET', `/v1/runs/${run.id}`)).json().status, 'waiting');
      const again = await t.call('POST', `/v1/leases/${task.lease_id}/approvals`, { key: worker, body: ask });
      assert.equal(again.json().id, a1.json().id, 'same key, same approval');
      // The waiting worker heartbeats; the attempt timeout (10 s) is paused while it waits.
      clock.advance(8000);
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/heartbeat`, { key: worker, body: {} })).json().status, 'active');
      clock.advance(8000);
      assert.equal((await t.engine.sweeper.sweepOnce()).attemptTimeouts, 0);
      // The worker dies: its lease lapses, the run is retried, the approval stays pending.
      clock.advance(31_000);
      assert.equal((await t.engine.sweeper.sweepOnce()).expiredLeases, 1);
      assert.equal((await pendingFor(run.id)).length, 1);
      const approved = await t.call('POST', `/v1/approvals/${a1.json().id}/approve`, { key: approver, body: { comment: 'go' } });
      assert.equal(approved.statusCode, 200);
      const [retry] = await lease('asker');
      assert.equal(retry.attempt, 2);
      const a2 = await t.call('POST', `/v1/leases/${retry.lease_id}/approvals`, { key: worker, body: ask });
      assert.equal(a2.json().id, a1.json().id);
      assert.equal(a2.json().status, 'approved', 'never a second request, never a lost decision');
      assert.equal((await t.call('GET', `/v1/runs/${run.id}`)).json().status, 'running');
      const waited = await t.call('GET', `/v1/leases/${retry.lease_id}/approvals/${a1.json().id}?wait_ms=0`, { key: worker });
      assert.equal(waited.json().approved, true);
      const stale = await t.call('GET', `/v1/leases/${task.lease_id}/approvals/${a1.json().id}?wait_ms=0`, { key: worker });
      assert.equal(stale.statusCode, 409);
      assert.equal((await t.call('POST', `/v1/leases/${retry.lease_id}/complete`, { key: worker, body: { output: { ok: true } } })).statusCode, 200);
      assert.equal((await t.call('GET', '/v1/approvals?status=pending&run=' + run.id)).json().data.length, 0);
    });

    it('a decision resumes a waiting worker attempt at once (long-poll answers)', async () => {
      const run = await create('act', 'asker');
      const [task] = await lease('asker');
      const a = (await t.call('POST', `/v1/leases/${task.lease_id}/approvals`, { key: worker, body: { key: 'k', prompt: 'ok?' } })).json();
      const waiting = t.call('GET', `/v1/leases/${task.lease_id}/approvals/${a.id}?wait_ms=10000`, { key: worker });
      await new Promise((r) => setTimeout(r, 50));
      await t.call('POST', `/v1/approvals/${a.id}/reject`, { key: approver, body: { reason: 'nope' } });
      const got = (await waiting).json();
      assert.equal(got.status, 'rejected');
      assert.equal(got.approved, false);
      assert.equal(got.reason, 'nope');
      const now = (await t.call('GET', `/v1/runs/${run.id}`)).json();
      assert.equal(now.status, 'running', 'a rejected worker approval hands the decision back to the code');
      assert.deepEqual((await types(run.id)).slice(-3), ['run.waiting', 'approval.decided', 'run.resumed']);
    });

    it('signed decision links: single use, expiring, unforgeable, and need no API key', async () => {
      const run = await create('pay');
      const [a] = await pendingFor(run.id);
      const link = await t.call('POST', `/v1/approvals/${a.id}/link`, { key: approver, body: { decision: 'approve', for: 'ada@example.com' } });
      assert.equal(link.statusCode, 201, link.body);
      const { token, path } = link.json();
      // Making a link needs an API key (the route exists: without a key it is 401 UNAUTHORIZED).
      const keyless = await t.call('POST', `/v1/approvals/${a.id}/link`, { key: null, body: { decision: 'approve' } });
      assert.deepEqual([keyless.statusCode, keyless.json().error.code], [401, 'UNAUTHORIZED']);
      // A link refused is refused by the link check (APPROVAL_LINK_INVALID), not by authentication.
      const refused = async (p: string, body: unknown) => {
        const r = await t.call('POST', p, { key: null, body });
        assert.deepEqual([r.statusCode, r.json().error.code], [401, 'APPROVAL_LINK_INVALID'], `${p}: ${r.body}`);
      };
      const forged = `${token.split('.')[0]}.${'A'.repeat(43)}`;
      await refused(`/v1/approval-links/${forged}`, {});
      const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()), d: 'reject' })).toString('base64url');
      await refused(`/v1/approval-links/${tampered}.${token.split('.')[1]}`, { reason: 'x' });
      assert.equal((await t.call('GET', `/v1/approvals/${a.id}`)).json().status, 'pending', 'nothing was decided by the refused links');
      const peek = await t.call('GET', path, { key: null });
      assert.equal(peek.statusCode, 200);
      assert.equal(peek.json().approval.id, a.id);
      const used = await t.call('POST', path, { key: null, body: { comment: 'from email' } });
      assert.equal(used.statusCode, 200, used.body);
      assert.equal(used.json().status, 'approved');
      assert.equal(used.json().votes[0].voter_name, 'ada@example.com');
      await refused(path, {});
      const run2 = await create('pay');
      const [b] = await pendingFor(run2.id);
      const short = (await t.call('POST', `/v1/approvals/${b.id}/link`, { key: approver, body: { expires_in_ms: 60_000 } })).json();
      clock.advance(61_000);
      await refused(short.path, {});
      assert.equal((await t.call('GET', `/v1/approvals/${b.id}`)).json().status, 'pending', 'the expired link decided nothing');
    });

    it('approvals of another tenant are invisible (404)', async () => {
      const run = await create('pay');
      const [a] = await pendingFor(run.id);
      const other = await t.keyFor('admin', (await t.engine.tenants.create({ name: 'Other' })).id);
      assert.equal((await t.call('GET', `/v1/approvals/${a.id}`, { key: other })).statusCode, 404);
      assert.equal((await t.call('POST', `/v1/approvals/${a.id}/approve`, { key: other, body: {} })).statusCode, 404);
      assert.equal((await t.call('GET', '/v1/approvals', { key: other })).json().data.length, 0);
    });
  });
}
