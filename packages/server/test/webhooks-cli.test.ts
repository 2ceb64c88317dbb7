/**
 * `agentd webhooks …` and `client.webhooks` as a person and a program use them: a real server
 * (startServer, SQLite) whose configuration allows the loopback receiver (AGENTD_EGRESS_ALLOW)
 * and retries quickly (AGENTD_WEBHOOK_RETRY_SCHEDULE); the real binary as a child process; the
 * SDK over HTTP. A second server with the default configuration refuses the loopback URL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agentd, UnprocessableEntityError } from '@agentd/sdk';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { assertNoLeaks } from './helpers/leak-check.ts';
import { HELLO_MANIFEST } from './helpers/test-app.ts';
import { eventOf, WebhookReceiver } from './helpers/webhook-receiver.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/agentd.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let strict: RunningServer;
let dataDir: string;
let strictDir: string;
let adminKey: string;
let receiver: WebhookReceiver;
let base: string;
let client: Agentd;
const children = new Set<ChildProcess>();

function agentd(args: string[], url = server.url, key = adminKey): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
  Object.assign(env, { AGENTD_URL: url, AGENTD_API_KEY: key });
  return new Promise((done) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      children.delete(child);
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
    children.add(child);
    child.stdin?.end();
  });
}
const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
async function ok(args: string[]): Promise<CliResult> {
  const r = await agentd(args);
  assert.equal(r.code, 0, show(r));
  return r;
}

/** One hello run, leased and completed over HTTP; its id. */
async function helloRun(name: string): Promise<string> {
  const run = await client.runs.create({ agent: 'hello', endpoint: 'greet', input: { name } });
  const { tasks } = await client.worker.lease({ agent: 'hello', max_tasks: 10, wait_ms: 2000 });
  for (const task of tasks) await client.leases.complete(task.lease_id, { greeting: 'hi' });
  return run.id;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'agentd-webhooks-cli-'));
  strictDir = await mkdtemp(join(tmpdir(), 'agentd-webhooks-strict-'));
  receiver = new WebhookReceiver();
  base = await receiver.listen();
  const env = { AGENTD_CHECK_TENANT_SCOPE: '1', AGENTD_EGRESS_ALLOW: '127.0.0.1', AGENTD_WEBHOOK_RETRY_SCHEDULE: '50ms,100ms', AGENTD_WEBHOOK_POLL_INTERVAL: '50ms' };
  server = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, env), () => {});
  strict = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir: strictDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1' }), () => {});
  adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  client = new Agentd({ baseURL: server.url, apiKey: adminKey });
  await client.agents.deploy(HELLO_MANIFEST);
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.close();
  await strict?.close();
  await receiver?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(strictDir, { recursive: true, force: true });
  await assertNoLeaks();
});

describe('agentd webhooks and client.webhooks', () => {
  it('create prints the secret once; list and get never show it; deliveries shows what was sent; redeliver sends it again', async () => {
    const created = await ok(['webhooks', 'create', `${base}/cli`, '--events', 'run.succeeded', '--description', 'from the CLI']);
    const id = /webhook (whk_[0-9a-z]+)/.exec(created.stdout)![1];
    const secret = /(whsec_\S+)/.exec(created.stdout)![1];
    const list = await ok(['webhooks', 'list']);
    assert.match(list.stdout, new RegExp(`${id}\\s+${base.replace(/[.]/g, '\\.')}/cli\\s+run\\.succeeded\\s+\\*\\s+active`));
    const get = await ok(['webhooks', 'get', id]);
    assert.match(get.stdout, /description:\s+from the CLI/);
    for (const r of [list, get, await ok(['webhooks', 'get', id, '--json']), await ok(['webhooks', 'list', '--json'])]) assert.ok(!r.stdout.includes(secret), 'no secret after create');

    const runId = await helloRun('cli');
    await receiver.until((rs) => rs.some((r) => r.path === '/cli'), 'the delivery');
    const got = receiver.requests.find((r) => r.path === '/cli')!;
    new StandardWebhook(secret).verify(got.body, got.headers as Record<string, string>);
    assert.equal(eventOf(got).run_id, runId);

    // Waited for through the SDK (a CLI process per poll would be slow), then shown by the CLI.
    for (let i = 0; i < 200; i++) {
      const { data } = await client.webhooks.deliveries(id);
      if (data[0]?.status === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const deliveries = (await ok(['webhooks', 'deliveries', id])).stdout;
    assert.match(deliveries, new RegExp(`(msg_[0-9a-z]+)\\s+run\\.succeeded\\s+${runId}\\s+\\d+\\s+succeeded\\s+1\\s+200`));
    const deliveryId = /(msg_[0-9a-z]+)/.exec(deliveries)![1];
    assert.match((await ok(['webhooks', 'redeliver', id, deliveryId])).stdout, new RegExp(`redelivering ${deliveryId} \\(run\\.succeeded of run ${runId}\\)`));
    await receiver.until((rs) => rs.filter((r) => r.headers['webhook-id'] === deliveryId).length === 2, 'the redelivery');

    const rotated = await ok(['webhooks', 'rotate-secret', id, '--overlap', '0']);
    assert.match(rotated.stdout, /whsec_/);
    assert.ok(!rotated.stdout.includes(secret));
    assert.match((await ok(['webhooks', 'delete', id])).stdout, new RegExp(`deleted webhook ${id}`));
    const gone = await agentd(['webhooks', 'get', id]);
    assert.equal(gone.code, 1, show(gone));
    assert.match(gone.stderr, /WEBHOOK_NOT_FOUND/);
  });

  it('update changes the URL, events, agents and description; refuses a URL the egress policy refuses; nothing to change is a usage error', async () => {
    const w = await client.webhooks.create({ url: `${base}/before`, events: ['run.succeeded'], agents: ['hello'], description: 'old' });
    const updated = await ok(['webhooks', 'update', w.id, '--target-url', `${base}/after`, '--events', 'run.*,approval.*', '--all-agents', '--description', 'new']);
    assert.match(updated.stdout, new RegExp(`url:\\s+${base.replace(/[.]/g, '\\.')}/after`));
    assert.match(updated.stdout, /events:\s+run\.\*, approval\.\*/);
    assert.match(updated.stdout, /agents:\s+\* \(every agent\)/);
    const got = await client.webhooks.retrieve(w.id);
    assert.deepEqual([got.url, got.events, got.agents, got.description], [`${base}/after`, ['run.*', 'approval.*'], null, 'new']);
    const json = JSON.parse((await ok(['webhooks', 'update', w.id, '--agents', 'hello', '--description', '', '--json'])).stdout);
    assert.deepEqual([json.agents, json.description], [['hello'], null]);
    const refused = await agentd(['webhooks', 'update', w.id, '--target-url', 'http://169.254.169.254/latest/meta-data/']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /EGRESS_REFUSED/);
    assert.equal((await client.webhooks.retrieve(w.id)).url, `${base}/after`);
    const nothing = await agentd(['webhooks', 'update', w.id]);
    assert.equal(nothing.code, 2, show(nothing));
    assert.match(nothing.stderr, /nothing to change/);
    await client.webhooks.delete(w.id);
  });

  it('reports an egress refusal and a usage error clearly', async () => {
    const refused = await agentd(['webhooks', 'create', 'http://169.254.169.254/latest/meta-data/', '--events', 'run.*']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /EGRESS_REFUSED/);
    assert.match(refused.stderr, /metadata/);
    const usage = await agentd(['webhooks', 'deliveries', 'whk_x', '--status', 'lost']);
    assert.equal(usage.code, 2, show(usage));
    const strictKey = (await readFile(join(strictDir, 'admin.key'), 'utf8')).trim();
    const loop = await agentd(['webhooks', 'create', `${base}/strict`, '--events', 'run.*'], strict.url, strictKey);
    assert.equal(loop.code, 1, show(loop));
    assert.match(loop.stderr, /EGRESS_REFUSED.*loopback|loopback.*EGRESS_REFUSED/s, 'the default configuration refuses the loopback receiver');
  });

  it('client.webhooks covers create, list, retrieve, update, rotateSecret, deliveries, redeliver and delete', async () => {
    const w = await client.webhooks.create({ url: `${base}/sdk`, events: ['run.queued'], agents: ['hello'] });
    assert.match(w.secret, /^whsec_/);
    const listed = [];
    for await (const x of client.webhooks.list()) listed.push(x.id);
    assert.ok(listed.includes(w.id));
    assert.equal((await client.webhooks.retrieve(w.id)).url, `${base}/sdk`);
    assert.deepEqual((await client.webhooks.update(w.id, { events: ['run.succeeded'], description: 'sdk' })).events, ['run.succeeded']);
    const runId = await helloRun('sdk');
    await receiver.until((rs) => rs.some((r) => r.path === '/sdk'), 'the SDK subscription delivery');
    assert.equal(eventOf(receiver.requests.find((r) => r.path === '/sdk')!).type, 'run.succeeded', 'the updated filter applies');
    let entries: { id: string; status: string; run_id: string }[] = [];
    for (let i = 0; i < 100 && !entries.some((e) => e.status === 'succeeded'); i++) {
      entries = [];
      for await (const e of client.webhooks.deliveries(w.id, { status: 'succeeded' })) entries.push(e);
    }
    assert.equal(entries[0].run_id, runId);
    assert.equal((await client.webhooks.retrieveDelivery(w.id, entries[0].id)).status, 'succeeded');
    assert.equal((await client.webhooks.redeliver(w.id, entries[0].id)).status, 'pending');
    const rotated = await client.webhooks.rotateSecret(w.id, { overlap_seconds: 60 });
    assert.equal(rotated.secret_version, 2);
    await assert.rejects(client.webhooks.create({ url: 'http://10.0.0.1/x', events: ['*'] }), (err: unknown) => err instanceof UnprocessableEntityError && err.code === 'EGRESS_REFUSED');
    assert.deepEqual(await client.webhooks.delete(w.id), { id: w.id, deleted: true });
  });
});
