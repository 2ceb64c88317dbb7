/**
 * Workflow definitions through the HTTP API on both databases: deploy in YAML and JSON, versions,
 * an unchanged redeploy, lists, delete, Idempotency-Key, tenants, roles and the audit trail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';
import { PIPELINE_YAML, deployPipelineAgents, pipelineWorkflow } from './helpers/workflow-fixtures.ts';

const YAML = { 'content-type': 'application/yaml' };

for (const d of await dialects()) {
  describe(`workflow definitions (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    // Lists are ordered by creation time: the tests move it, so the order never hangs on the wall clock.
    const clock = new ManualClock(Date.UTC(2026, 4, 1));

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      await deployPipelineAgents(t);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('deploys a multi-step definition as YAML, and the same one as JSON adds no version', async () => {
      const r = await t.call('POST', '/v1/workflows', { body: PIPELINE_YAML, headers: YAML });
      assert.equal(r.statusCode, 201, r.body);
      const w = r.json();
      assert.equal(w.name, 'pipeline');
      assert.equal(w.version, 1);
      assert.equal(w.description, 'research, draft, review, publish');
      assert.deepEqual(
        w.steps.map((s: { id: string; type: string; needs: string[]; agent: string | null }) => [s.id, s.type, s.needs.join(','), s.agent]),
        [
          ['research', 'agent', '', 'researcher'],
          ['draft', 'agent', 'research', 'writer'],
          ['review', 'approval', 'draft', null],
          ['hold', 'wait', 'review', null],
          ['go', 'wait', 'review', null],
          ['publish', 'agent', 'hold,go', 'publisher'],
        ],
      );
      assert.equal(w.definition.kind, 'Workflow');
      assert.equal(w.definition.spec.steps[5].for_each, '{% steps.research.output.sources %}');

      clock.advance(1000);
      const again = await t.call('POST', '/v1/workflows', { body: pipelineWorkflow() });
      assert.equal(again.statusCode, 201, again.body);
      assert.equal(again.json().version, 1, 'the same definition (as JSON, keys reordered) is the version it already is');
      assert.equal(again.json().updated_at, w.updated_at, 'an unchanged redeploy changes nothing');
      const got = await t.call('GET', '/v1/workflows/pipeline');
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.json(), w);
    });

    it('makes a new immutable version of a changed definition; versions list newest first', async () => {
      const changed = pipelineWorkflow();
      changed.spec.steps[3].wait.duration = '20s';
      clock.advance(1000);
      const r = await t.call('POST', '/v1/workflows', { body: changed });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().version, 2);
      assert.equal((await t.call('GET', '/v1/workflows/pipeline')).json().version, 2);
      const versions = (await t.call('GET', '/v1/workflows/pipeline/versions')).json();
      assert.deepEqual(
        versions.data.map((v: { version: number }) => v.version),
        [2, 1],
      );
      assert.equal(versions.next_cursor, null);
      const paged = (await t.call('GET', '/v1/workflows/pipeline/versions?limit=1')).json();
      assert.deepEqual([paged.data[0].version, paged.next_cursor], [2, '2']);
      assert.equal((await t.call('GET', `/v1/workflows/pipeline/versions?limit=1&cursor=${paged.next_cursor}`)).json().data[0].version, 1);
      const v1 = await t.call('GET', '/v1/workflows/pipeline/versions/1');
      assert.equal(v1.statusCode, 200);
      assert.equal(v1.json().workflow, 'pipeline');
      assert.equal(v1.json().definition.spec.steps[3].wait.duration, '10s');
      const v9 = await t.call('GET', '/v1/workflows/pipeline/versions/9');
      assert.equal(v9.statusCode, 404);
      assert.equal(v9.json().error.code, 'WORKFLOW_NOT_FOUND');
      assert.equal((await t.call('GET', '/v1/workflows/pipeline/versions/99999999999')).statusCode, 404);
    });

    it('lists workflows newest first with keyset pagination', async () => {
      for (const name of ['list-a', 'list-b', 'list-c']) {
        clock.advance(1000);
        assert.equal((await t.call('POST', '/v1/workflows', { body: pipelineWorkflow(name) })).statusCode, 201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: { name: string }[]; next_cursor: string | null } = (await t.call('GET', `/v1/workflows?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json();
        assert.ok(page.data.length <= 2);
        seen.push(...page.data.map((w) => w.name));
        cursor = page.next_cursor;
      } while (cursor);
      assert.deepEqual(seen.filter((n) => n.startsWith('list-') || n === 'pipeline').slice(0, 4), ['list-c', 'list-b', 'list-a', 'pipeline']);
      assert.equal(new Set(seen).size, seen.length, 'no workflow twice across pages');
      const bad = await t.call('GET', '/v1/workflows?cursor=nonsense');
      assert.equal(bad.statusCode, 400);
    });

    it('deletes a workflow: gone from reads, back at its version when deployed as it was', async () => {
      assert.equal((await t.call('POST', '/v1/workflows', { body: pipelineWorkflow('doomed') })).statusCode, 201);
      const del = await t.call('DELETE', '/v1/workflows/doomed');
      assert.equal(del.statusCode, 200, del.body);
      assert.deepEqual(del.json(), { name: 'doomed', deleted: true });
      assert.equal((await t.call('GET', '/v1/workflows/doomed')).json().error.code, 'WORKFLOW_NOT_FOUND');
      assert.equal((await t.call('GET', '/v1/workflows/doomed/versions')).statusCode, 404);
      assert.equal((await t.call('DELETE', '/v1/workflows/doomed')).statusCode, 404);
      const list = (await t.call('GET', '/v1/workflows?limit=500')).json();
      assert.ok(!list.data.some((w: { name: string }) => w.name === 'doomed'));
      const back = await t.call('POST', '/v1/workflows', { body: pipelineWorkflow('doomed') });
      assert.equal(back.json().version, 1);
      assert.equal((await t.call('GET', '/v1/workflows/doomed')).statusCode, 200);
    });

    it('is idempotent by Idempotency-Key, and the key with another body is refused', async () => {
      const headers = { 'idempotency-key': 'wf-deploy-1' };
      const first = await t.call('POST', '/v1/workflows', { body: pipelineWorkflow('idem-wf'), headers });
      assert.equal(first.statusCode, 201, first.body);
      const replay = await t.call('POST', '/v1/workflows', { body: pipelineWorkflow('idem-wf'), headers });
      assert.equal(replay.statusCode, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.json(), first.json());
      const other = pipelineWorkflow('idem-wf');
      other.metadata.description = 'changed';
      const reused = await t.call('POST', '/v1/workflows', { body: other, headers });
      assert.equal(reused.statusCode, 422);
      assert.equal(reused.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal((await t.call('GET', '/v1/workflows/idem-wf')).json().version, 1);
    });

    it('keeps tenants apart: another tenant neither sees a workflow nor calls this tenant’s agents', async () => {
      const other = await t.engine.tenants.create({ name: `other-${d.name}` });
      const key = await t.keyFor('admin', other.id);
      for (const url of ['/v1/workflows/pipeline', '/v1/workflows/pipeline/versions', '/v1/workflows/pipeline/versions/1']) {
        const r = await t.call('GET', url, { key });
        assert.equal(r.statusCode, 404, url);
        assert.equal(r.json().error.code, 'WORKFLOW_NOT_FOUND');
      }
      assert.deepEqual((await t.call('GET', '/v1/workflows', { key })).json().data, []);
      assert.equal((await t.call('DELETE', '/v1/workflows/pipeline', { key })).statusCode, 404);
      const r = await t.call('POST', '/v1/workflows', { body: pipelineWorkflow(), key });
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'WORKFLOW_INVALID');
      assert.deepEqual(
        r.json().error.details.map((p: { path: string }) => p.path),
        ['spec.steps[0].agent', 'spec.steps[1].agent', 'spec.steps[5].agent'],
      );
      // With its own agents, the other tenant's workflow of the same name is its own.
      await deployPipelineAgents(t, key);
      const own = await t.call('POST', '/v1/workflows', { body: { ...pipelineWorkflow(), metadata: { name: 'pipeline' } }, key });
      assert.equal(own.statusCode, 201, own.body);
      assert.equal(own.json().version, 1);
      assert.equal((await t.call('GET', '/v1/workflows/pipeline')).json().version, 2, 'this tenant’s pipeline is unchanged');
    });

    it('lets the roles that deploy agents deploy workflows; a worker key and a viewer cannot', async () => {
      for (const role of ['worker', 'viewer', 'operator', 'approver'] as const) {
        const key = await t.keyFor(role);
        const r = await t.call('POST', '/v1/workflows', { body: pipelineWorkflow(`by-${role}`), key });
        assert.equal(r.statusCode, 403, `${role}: ${r.body}`);
        assert.equal(r.json().error.code, 'FORBIDDEN');
        assert.equal((await t.call('DELETE', '/v1/workflows/pipeline', { key })).statusCode, 403);
      }
      const worker = await t.keyFor('worker');
      assert.equal((await t.call('GET', '/v1/workflows/pipeline', { key: worker })).statusCode, 403);
      const viewer = await t.keyFor('viewer');
      assert.equal((await t.call('GET', '/v1/workflows/pipeline', { key: viewer })).statusCode, 200);
      const developer = await t.keyFor('developer');
      assert.equal((await t.call('POST', '/v1/workflows', { body: pipelineWorkflow('by-developer'), key: developer })).statusCode, 201);
    });

    it('records each deploy in the audit trail like an agent deploy', async () => {
      const r = await t.call('POST', '/v1/workflows', { body: pipelineWorkflow('audited') });
      assert.equal(r.statusCode, 201);
      const refused = await t.call('POST', '/v1/workflows', { body: { ...pipelineWorkflow('audited-bad'), kind: 'Agent' } });
      assert.equal(refused.statusCode, 422);
      await new Promise((resolve) => setImmediate(resolve));
      await t.engine.audit.settled();
      const rows = (await t.call('GET', '/v1/audit?limit=500')).json().data as { request_id: string; action: string; target_type: string; target_id: string; outcome: string; status_code: number }[];
      const ok = rows.find((a) => a.request_id === r.headers['x-request-id']);
      assert.deepEqual([ok?.action, ok?.target_type, ok?.target_id, ok?.outcome, ok?.status_code], ['POST /v1/workflows', 'workflow', 'audited', 'ok', 201]);
      const bad = rows.find((a) => a.request_id === refused.headers['x-request-id']);
      assert.deepEqual([bad?.outcome, bad?.status_code], ['error', 422]);
    });

    it('resolves a version compiled for the runtime', async () => {
      const resolved = await t.engine.workflows.resolve(t.tenantId, 'pipeline');
      assert.equal(resolved.version, 2);
      assert.deepEqual(resolved.workflow.order, ['research', 'draft', 'review', 'hold', 'go', 'publish']);
      assert.equal((await t.engine.workflows.resolve(t.tenantId, 'pipeline', 1)).workflow.steps.length, 6);
      await assert.rejects(t.engine.workflows.resolve(t.tenantId, 'nope'), /no workflow named/);
    });
  });
}
