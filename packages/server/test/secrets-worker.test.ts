/**
 * Secrets through the SDK against a real server over sockets, on both databases: client.secrets
 * and client.grants, and a real Worker whose handler reads ctx.secrets.get(). Agent A gets the
 * canary; agent B's handler is told which grant it lacks; nothing stored or logged holds the value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agentd, ConflictError, NotFoundError, type Secret } from '@agentd/sdk';
import { Worker, type WorkerLogger } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

const manifest = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { use: { input: { type: 'object' }, output: { type: 'object' }, retry: { max_attempts: 1 } } } },
});

for (const d of await dialects()) {
  describe(`secrets through the SDK and a worker (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;
    const workers: { worker: Worker; running: Promise<void> }[] = [];
    const workerLog: string[] = [];
    const logger: WorkerLogger = {
      debug: (m, f) => workerLog.push(`${m} ${JSON.stringify(f ?? {})}`),
      info: (m, f) => workerLog.push(`${m} ${JSON.stringify(f ?? {})}`),
      warn: (m, f) => workerLog.push(`${m} ${JSON.stringify(f ?? {})}`),
      error: (m, f) => workerLog.push(`${m} ${JSON.stringify(f ?? {})}`),
    };
    const CANARY = `sk-canary-${randomBytes(12).toString('hex')}`;

    /** Each worker runs with a worker key that names its agent: only such a key receives secrets. */
    const startWorker = async (agent: string, key?: string) => {
      const apiKey = key ?? (await t.keyFor('worker', undefined, [agent]));
      const worker = new Worker({
        client: new Agentd({ baseURL: client.baseURL, apiKey, maxRetries: 0 }),
        agent,
        handleSignals: false,
        logger,
        pollWaitMs: 200,
        endpoints: {
          use: async (_input: unknown, ctx) => {
            const value = ctx.secrets.get('canary_token');
            await ctx.log(`calling the API with ${value}`, { fields: { auth: `Bearer ${value}` } });
            return {
              echoed: value,
              matches: value === CANARY,
              names: ctx.secrets.names(),
              has_other: ctx.secrets.has('other'),
              task_carries_secrets: 'secrets' in ctx.task,
              ctx_secrets_json: JSON.stringify(ctx.secrets),
            };
          },
        },
      });
      workers.push({ worker, running: worker.run() });
    };

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      client = new Agentd({ baseURL: await t.listen(), apiKey: t.adminKey, maxRetries: 0 });
      await client.agents.deploy(manifest('alpha') as never);
      await client.agents.deploy(manifest('beta') as never);
      await startWorker('alpha');
      await startWorker('beta');
    });
    after(async () => {
      for (const w of workers) await w.worker.stop();
      await Promise.all(workers.map((w) => w.running));
      await t?.close();
      await db?.cleanup();
    });

    it('client.secrets: create, list, retrieve, rotate, delete, rewrap; errors as typed SDK errors', async () => {
      const created = await client.secrets.create({ name: 'canary_token', value: CANARY, description: 'TESTPLAN 23' });
      assert.equal(created.version, 1);
      assert.ok(!JSON.stringify(created).includes(CANARY));
      await assert.rejects(client.secrets.create({ name: 'canary_token', value: 'again' }), (err: unknown) => err instanceof ConflictError && err.code === 'SECRET_EXISTS');

      await client.secrets.create({ name: 'throwaway', value: 'throwaway-value' });
      const rotated = await client.secrets.rotate('throwaway', { value: 'throwaway-value-2', description: 'rotated once' });
      assert.equal(rotated.version, 2);
      assert.equal(rotated.description, 'rotated once');
      const detail = await client.secrets.retrieve('throwaway');
      assert.deepEqual(
        detail.versions.map((v) => v.version),
        [2, 1],
      );
      const names: string[] = [];
      for await (const s of client.secrets.list({ limit: 1 }) as AsyncIterable<Secret>) names.push(s.name);
      assert.deepEqual(names.sort(), ['canary_token', 'throwaway'], 'iterates every page');
      assert.deepEqual(await client.secrets.delete('throwaway'), { name: 'throwaway', deleted: true, grants_revoked: 0 });
      await assert.rejects(client.secrets.retrieve('throwaway'), (err: unknown) => err instanceof NotFoundError && err.code === 'SECRET_NOT_FOUND');
      const rewrap = await client.secrets.rewrap();
      assert.deepEqual(rewrap, { kek_id: created.kek_id, rewrapped: 0, failed: [] });
    });

    it('client.grants: create, list, revoke', async () => {
      const g = await client.grants.create({ secret: 'canary_token', agent: 'alpha' });
      assert.equal(g.agent, 'alpha');
      const listed = await client.grants.list({ agent: 'alpha' });
      assert.deepEqual(
        listed.data.map((x) => x.id),
        [g.id],
      );
      const temp = await client.grants.create({ secret: 'canary_token', agent: 'beta', endpoint: 'use' });
      const revoked = await client.grants.revoke(temp.id);
      assert.ok(revoked.revoked_at);
      assert.equal((await client.grants.list({ secret: 'canary_token' })).data.length, 1);
      assert.equal((await client.grants.list({ secret: 'canary_token', include_revoked: true })).data.length, 2);
    });

    it("agent A's handler reads the canary with ctx.secrets.get; what it reports is stored scrubbed", async () => {
      const r = await client.runs.createAndWait({ agent: 'alpha', endpoint: 'use', input: {} }, { timeoutMs: 15_000 });
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      assert.deepEqual(r.output, {
        echoed: '[redacted:canary_token]',
        matches: true,
        names: ['canary_token'],
        has_other: false,
        task_carries_secrets: false,
        ctx_secrets_json: '{}',
      });
      const events = [];
      for await (const e of client.runs.events(r.id)) events.push(e);
      const log = events.find((e) => e.type === 'run.log')!;
      assert.deepEqual(log.data, { level: 'info', message: 'calling the API with [redacted:canary_token]', fields: { auth: 'Bearer [redacted:canary_token]' } });
      assert.ok(!JSON.stringify(events).includes(CANARY));
    });

    it("agent B's handler is told which grant it lacks", async () => {
      const r = await client.runs.createAndWait({ agent: 'beta', endpoint: 'use', input: {} }, { timeoutMs: 15_000 });
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.type, 'secret_not_granted');
      assert.match(r.error!.message, /^secret "canary_token" is not granted to agent "beta" \(endpoint use\)/);
      assert.deepEqual(r.error?.details, { secret: 'canary_token', agent: 'beta', endpoint: 'use' });
    });

    it('a worker running with the admin key (or a ["*"] key) gets no secrets, is told why, and warns once', async () => {
      await client.agents.deploy(manifest('gamma') as never);
      await client.grants.create({ secret: 'canary_token', agent: 'gamma' });
      await startWorker('gamma', t.adminKey);
      for (let i = 0; i < 2; i++) {
        const r = await client.runs.createAndWait({ agent: 'gamma', endpoint: 'use', input: {} }, { timeoutMs: 15_000 });
        assert.equal(r.status, 'failed');
        assert.equal(r.error?.type, 'secret_not_granted');
        assert.match(r.error!.message, /^secret "canary_token" was not delivered: secrets are never delivered to a lease taken with an admin key; use a worker key that names it: agentd keys create --role worker --agents gamma/);
      }
      assert.equal(workerLog.filter((l) => l.startsWith('this worker receives no secrets') && l.includes('admin_key')).length, 1, 'said once, not per task');
    });

    it('revoking the grant applies to the next lease: A is then told it lacks the grant', async () => {
      const [g] = (await client.grants.list({ agent: 'alpha', secret: 'canary_token' })).data;
      await client.grants.revoke(g.id);
      const r = await client.runs.createAndWait({ agent: 'alpha', endpoint: 'use', input: {} }, { timeoutMs: 15_000 });
      assert.equal(r.status, 'failed');
      assert.match(r.error!.message, /not granted to agent "alpha"/);
    });

    it("the worker's own log lines never hold the value", () => {
      assert.ok(workerLog.length > 0, 'the worker logged something (started)');
      assert.ok(!workerLog.some((l) => l.includes(CANARY)));
    });
  });
}
