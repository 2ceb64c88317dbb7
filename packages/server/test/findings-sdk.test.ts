import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agentd, PermissionDeniedError, type Finding, type LogLine } from '@agentd/sdk';
import { Worker, silentLogger } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

const SCANNER = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'scanner' },
  spec: { runtime: 'worker', endpoints: { scan: { input: { type: 'object' }, output: { type: 'object' }, timeout: '30s' } } },
};

/** An SDK worker posting findings and logs, read back with client.findings / client.logs / client.audit. */
for (const d of await dialects()) {
  describe(`findings and logs through the SDK (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;
    let worker: Worker;
    let running: Promise<void>;
    const returned: (Finding | null)[] = [];

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      client = new Agentd({ baseURL: await t.listen(), apiKey: t.adminKey, maxRetries: 0 });
      await client.agents.deploy(SCANNER as never);
      worker = new Worker({
        client: new Agentd({ baseURL: client.baseURL, apiKey: await t.keyFor('worker'), maxRetries: 2 }),
        agent: 'scanner',
        concurrency: 4,
        handleSignals: false,
        logger: silentLogger,
        endpoints: {
          scan: async (input: { files: string[] }, ctx) => {
            ctx.log('scan started', { fields: { files: input.files.length } });
            for (const [i, file] of input.files.entries()) {
              // Not awaited on purpose: the worker must still store them all before completing.
              void ctx.finding({ severity: i === 0 ? 'critical' : 'warning', summary: `issue in ${file}`, file: `${file}:${i + 1}`, source: 'sdk-test', details: { i } }).then((f) => returned.push(f));
            }
            assert.throws(() => ctx.finding({ severity: 'fatal' as never, summary: 'x' }), TypeError);
            ctx.log('scan done', { level: 'warn' });
            return { scanned: input.files.length };
          },
        },
      });
      running = worker.run();
    });
    after(async () => {
      await worker?.stop();
      await running;
      await t?.close();
      await db?.cleanup();
    });

    it('ctx.finding and ctx.log reach client.findings and client.logs, all before the run completes', async () => {
      const run = await client.runs.createAndWait({ agent: 'scanner', endpoint: 'scan', input: { files: ['a.ts', 'b.ts', 'c.ts'] } }, { timeoutMs: 15_000 });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const findings = (await client.findings.listForRun(run.id)).data;
      assert.deepEqual(findings.map((f) => [f.severity, f.summary, f.file, f.source, f.details]), [
        ['critical', 'issue in a.ts', 'a.ts:1', 'sdk-test', { i: 0 }],
        ['warning', 'issue in b.ts', 'b.ts:2', 'sdk-test', { i: 1 }],
        ['warning', 'issue in c.ts', 'c.ts:3', 'sdk-test', { i: 2 }],
      ]);
      assert.deepEqual(returned.map((f) => f?.id).sort(), findings.map((f) => f.id).sort(), 'ctx.finding resolves with the stored finding');
      const critical = await client.findings.list({ severity: 'critical', run: run.id });
      assert.deepEqual(critical.data.map((f) => f.summary), ['issue in a.ts']);

      const logs = (await client.logs.listForRun(run.id)).data;
      assert.deepEqual(logs.map((l) => [l.level, l.message, l.fields]), [['info', 'scan started', { files: 3 }], ['warn', 'scan done', null]]);
      const types = (await client.runs.eventsPage(run.id)).data.map((e) => e.type);
      assert.deepEqual(types, ['run.queued', 'run.started', 'run.log', 'run.finding', 'run.finding', 'run.finding', 'run.log', 'run.succeeded']);
      const warnings = (await client.logs.list({ run: run.id, level: ['warn', 'error'] })).data;
      assert.deepEqual(warnings.map((l: LogLine) => l.message), ['scan done']);
    });

    it('follow() yields each new finding once as runs keep posting, until aborted', async () => {
      const ac = new AbortController();
      const start = (await client.findings.list({ limit: 500 })).data.at(-1)?.id;
      const seen: Finding[] = [];
      const following = (async () => {
        for await (const f of client.findings.follow({ since: start, agent: 'scanner' }, { signal: ac.signal, intervalMs: 20 })) {
          seen.push(f);
          if (seen.length === 6) ac.abort();
        }
      })();
      for (const files of [['x.ts', 'y.ts'], ['z.ts'], ['p.ts', 'q.ts', 'r.ts']]) {
        await client.runs.createAndWait({ agent: 'scanner', endpoint: 'scan', input: { files } }, { timeoutMs: 15_000 });
      }
      await following;
      assert.deepEqual(seen.map((f) => f.summary).sort(), ['x.ts', 'y.ts', 'z.ts', 'p.ts', 'q.ts', 'r.ts'].map((f) => `issue in ${f}`).sort());
      assert.equal(new Set(seen.map((f) => f.id)).size, 6);

      // Iterating a list walks every page, then stops.
      const all: string[] = [];
      for await (const f of client.findings.list({ agent: 'scanner', limit: 2 })) all.push(f.id);
      assert.equal(all.length, 9);
    });

    it('client.audit lists what the SDK did; a viewer key may not', async () => {
      const page = await client.audit.list({ action: 'POST /v1/runs', limit: 500 });
      assert.ok(page.data.length >= 4);
      assert.ok(page.data.every((r) => r.action === 'POST /v1/runs' && r.target_type === 'run' && r.outcome === 'ok'));
      const completions = await client.audit.list({ action: 'POST /v1/worker/complete' });
      assert.ok(completions.data.length >= 1, 'the worker’s batched completions are recorded');
      const viewer = new Agentd({ baseURL: client.baseURL, apiKey: await t.keyFor('viewer'), maxRetries: 0 });
      await assert.rejects(Promise.resolve(viewer.audit.list()), PermissionDeniedError);
      assert.ok((await viewer.findings.list()).data.length >= 9);
    });
  });
}
