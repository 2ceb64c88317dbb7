/**
 * Schedules through the SDK (`client.schedules`, both databases, an injected clock and a real SDK
 * worker) and the CLI (`agentd schedules …` as a child process against a real server, whose own
 * ticker fires a per-second schedule).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agentd, ConflictError, type ScheduleFire } from '@agentd/sdk';
import { silentLogger, Worker } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/agentd.js');
const T0 = Date.UTC(2026, 5, 1, 6, 59, 30);

const helloWorker = (baseURL: string, apiKey: string) =>
  new Worker({
    client: new Agentd({ baseURL, apiKey }),
    agent: 'hello',
    handleSignals: false,
    logger: silentLogger,
    pollWaitMs: 200,
    endpoints: { greet: async (input: { name: string }) => ({ greeting: `Hello, ${input.name}!` }) },
  });

for (const d of await dialects()) {
  describe(`client.schedules (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;
    let worker: Worker;
    let running: Promise<void>;
    const clock = new ManualClock(T0);

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      const url = await t.listen();
      client = new Agentd({ baseURL: url, apiKey: t.adminKey, maxRetries: 0 });
      await client.agents.deploy(HELLO_MANIFEST);
      worker = helloWorker(url, await t.keyFor('worker', t.tenantId, ['hello']));
      running = worker.run();
    });
    after(async () => {
      await worker?.stop();
      await running;
      await t?.close();
      await db?.cleanup();
    });

    it('create (idempotent by id), retrieve, list, update, pause, resume, runNow, runs, delete', async () => {
      const params = { id: 'sdk-daily', cron: '0 9 * * *', timezone: 'Europe/Berlin', target: { agent: 'hello', endpoint: 'greet' }, input: { name: 'sdk' } };
      const created = await client.schedules.create(params);
      assert.deepEqual(await client.schedules.create(params), created, 'the same id and body is a replay');
      await assert.rejects(client.schedules.create({ ...params, cron: '0 10 * * *' }), (err: unknown) => err instanceof ConflictError && err.code === 'SCHEDULE_CONFLICT');
      assert.equal(created.next_fire_times[0], '2026-06-01T07:00:00.000Z');
      assert.deepEqual((await client.schedules.retrieve('sdk-daily')).id, 'sdk-daily');
      const ids: string[] = [];
      for await (const s of client.schedules.list()) ids.push(s.id);
      assert.deepEqual(ids, ['sdk-daily']);
      assert.equal((await client.schedules.update('sdk-daily', { missed_policy: 'run_once' })).missed_policy, 'run_once');
      assert.equal((await client.schedules.pause('sdk-daily')).paused, true);
      assert.equal((await client.schedules.resume('sdk-daily')).paused, false);

      // The 09:00 Berlin slot comes; the tick starts its run and the worker greets.
      clock.set(T0 + 31_000);
      assert.equal((await t.engine.scheduleTicker.tickOnce()).started, 1);
      const manual = await client.schedules.runNow('sdk-daily');
      let fires: ScheduleFire[] = [];
      await waitUntil(
        async () => {
          fires = (await client.schedules.runs('sdk-daily')).data;
          return fires.length === 2 && fires.every((f) => f.run_status === 'succeeded');
        },
        { what: 'both runs to succeed' },
      );
      assert.deepEqual(fires.map((f) => [f.trigger, f.outcome]).sort(), [['cron', 'started'], ['manual', 'started']]);
      assert.ok(fires.some((f) => f.run_id === manual.id));
      const cronRun = await client.runs.retrieve(fires.find((f) => f.trigger === 'cron')!.run_id!);
      assert.deepEqual(cronRun.output, { greeting: 'Hello, sdk!' });
      assert.deepEqual(cronRun.metadata, { schedule: { id: 'sdk-daily', slot: '2026-06-01T07:00:00.000Z', trigger: 'cron' } });
      assert.deepEqual(await client.schedules.delete('sdk-daily'), { id: 'sdk-daily', deleted: true });
    });
  });
}

describe('agentd schedules (CLI against a real server, SQLite)', () => {
  let server: RunningServer;
  let dataDir: string;
  let adminKey: string;
  let worker: Worker;
  let running: Promise<void>;
  const children = new Set<ChildProcess>();

  const agentd = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
      const child = execFile(process.execPath, [BIN, ...args], { env: { ...env, AGENTD_URL: server.url, AGENTD_API_KEY: adminKey }, timeout: 60_000 }, (err, stdout, stderr) => {
        children.delete(child);
        done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
      children.add(child);
    });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'agentd-sched-cli-'));
    // Ticks every 100 ms at most, so the per-second schedule below is seen firing soon.
    server = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1', AGENTD_SCHEDULE_INTERVAL: '100ms' }), () => {});
    adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    await new Agentd({ baseURL: server.url, apiKey: adminKey }).agents.deploy(HELLO_MANIFEST);
    worker = helloWorker(server.url, adminKey);
    running = worker.run();
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await worker?.stop();
    await running;
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('create, list, get, update, pause, resume, run, runs, delete; mistakes exit 2, refusals 1', async () => {
    const create = await agentd(['schedules', 'create', 'nightly', '--cron', '0 2 * * *', '--timezone', 'America/New_York', '--target', 'hello/greet', '--input', '{"name":"cli"}']);
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stdout, /^schedule nightly: 0 2 \* \* \* \(America\/New_York\) → hello\/greet; next \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    const conflict = await agentd(['schedules', 'create', 'nightly', '--cron', '0 3 * * *', '--target', 'hello/greet', '--input', '{"name":"cli"}']);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /SCHEDULE_CONFLICT/);
    const badTarget = await agentd(['schedules', 'create', 'x', '--cron', '* * * * *', '--target', 'hello']);
    assert.equal(badTarget.code, 2, badTarget.stderr);
    const badCron = await agentd(['schedules', 'create', 'x', '--cron', 'soon', '--target', 'hello/greet', '--input', '{"name":"x"}']);
    assert.equal(badCron.code, 1);
    assert.match(badCron.stderr, /SCHEDULE_INVALID[\s\S]*body\.cron/);

    const list = await agentd(['schedules', 'list']);
    assert.match(list.stdout, /^ID +CRON +TIMEZONE +TARGET +STATE +NEXT \(UTC\)\nnightly +0 2 \* \* \* +America\/New_York +hello\/greet +active /);
    const get = JSON.parse((await agentd(['schedules', 'get', 'nightly', '--json'])).stdout);
    assert.equal(get.next_fire_times.length, 5);
    assert.match((await agentd(['schedules', 'get', 'nightly'])).stdout, /next fire times:\n {2}\d{4}-/);
    assert.equal(JSON.parse((await agentd(['schedules', 'update', 'nightly', '--overlap', 'allow', '--json'])).stdout).overlap_policy, 'allow');
    assert.match((await agentd(['schedules', 'pause', 'nightly'])).stdout, /^paused schedule nightly\n$/);
    assert.match((await agentd(['schedules', 'resume', 'nightly'])).stdout, /^resumed schedule nightly; next /);
    const run = await agentd(['schedules', 'run', 'nightly']);
    assert.match(run.stdout, /^run_[0-9a-z]+\n$/);
    await waitUntil(async () => /manual +started +run_\S+ +succeeded/.test((await agentd(['schedules', 'runs', 'nightly'])).stdout), { what: 'the run now to succeed', intervalMs: 300 });
    assert.equal((await agentd(['schedules', 'delete', 'nightly'])).stdout, 'deleted schedule nightly\n');
    assert.equal((await agentd(['schedules', 'get', 'nightly'])).code, 1);
  });

  it("the server's own ticker fires a per-second schedule; each run greets; one run per slot", async () => {
    const create = await agentd(['schedules', 'create', 'every-second', '--cron', '* * * * * *', '--target', 'hello/greet', '--input', '{"name":"tick"}', '--overlap', 'allow']);
    assert.equal(create.code, 0, create.stderr);
    let fires: ScheduleFire[] = [];
    await waitUntil(
      async () => {
        fires = JSON.parse((await agentd(['schedules', 'runs', 'every-second', '--json'])).stdout).data;
        return fires.filter((f) => f.run_status === 'succeeded').length >= 3;
      },
      { what: 'three runs of the per-second schedule to succeed', timeoutMs: 30_000, intervalMs: 300 },
    );
    await agentd(['schedules', 'pause', 'every-second']);
    assert.equal(new Set(fires.map((f) => f.slot)).size, fires.length, 'one row per slot');
    assert.ok(fires.every((f) => f.trigger === 'cron' || f.trigger === 'catch_up'));
  });
});
