/**
 * Triggers as a program and a person use them, on both databases: `client.triggers` over HTTP
 * (create, list, retrieve, update, rotateSecret, deliveries, delete; typed errors), and the real
 * `agentd` binary as a child process: `triggers create/list/get/update/deliveries/rotate-secret/
 * delete`, and `triggers sign`, whose headers the official standardwebhooks library verifies and
 * whose `--curl` command delivers (run by a shell, as the README does).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Agentd, NotFoundError, UnprocessableEntityError } from '@agentd/sdk';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/agentd.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

function run(file: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) base[k] = v;
  return new Promise((done) => {
    const child = execFile(file, args, { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      children.delete(child);
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
    children.add(child);
    child.stdin?.end();
  });
}
const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

for (const d of await dialects()) {
  describe(`triggers through the SDK and the CLI (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let url: string;
    let client: Agentd;
    const agentd = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [BIN, ...args], { AGENTD_URL: url, AGENTD_API_KEY: t.adminKey, ...env });
    const ok = async (args: string[], env: Record<string, string> = {}) => {
      const r = await agentd(args, env);
      assert.equal(r.code, 0, show(r));
      return r;
    };

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      url = await t.listen();
      client = new Agentd({ baseURL: url, apiKey: t.adminKey, maxRetries: 0 });
      await client.agents.deploy(HELLO_MANIFEST);
    });
    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      await t?.close();
      await db?.cleanup();
    });

    it('client.triggers: create, list, retrieve, update, rotateSecret, deliveries, delete, and typed errors', async () => {
      const trg = await client.triggers.create({ target: { agent: 'hello', endpoint: 'greet' }, name: 'sdk', mapping: { pointer: '/who' } });
      assert.equal(trg.url, `${url}/v1/hooks/${trg.id}`);
      const listed: string[] = [];
      for await (const x of client.triggers.list()) listed.push(x.id);
      assert.ok(listed.includes(trg.id));
      assert.equal((await client.triggers.retrieve(trg.id)).name, 'sdk');
      assert.deepEqual((await client.triggers.update(trg.id, { rate_limit: { count: 10, period_seconds: 1 } })).rate_limit, { count: 10, period_seconds: 1 });
      const body = JSON.stringify({ who: { name: 'sdk' } });
      const id = 'msg_sdk_1';
      const at = new Date();
      const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new StandardWebhook(trg.secret).sign(id, at, body) };
      const r = await fetch(trg.url, { method: 'POST', headers, body });
      assert.equal(r.status, 202, await r.clone().text());
      const rotated = await client.triggers.rotateSecret(trg.id, { overlap_seconds: 0 });
      assert.notEqual(rotated.secret, trg.secret);
      const deliveries = [];
      for await (const x of client.triggers.deliveries(trg.id, { outcome: 'started' })) deliveries.push(x);
      assert.deepEqual(deliveries.map((x) => x.message_id), [id]);
      await assert.rejects(client.triggers.create({ target: { agent: 'nobody', endpoint: 'x' } }), NotFoundError);
      await assert.rejects(client.triggers.create({ target: { agent: 'hello', endpoint: 'greet' }, mapping: { template: '{% nope %}' } }), UnprocessableEntityError);
      assert.deepEqual(await client.triggers.delete(trg.id), { id: trg.id, deleted: true });
      await assert.rejects(client.triggers.retrieve(trg.id), NotFoundError);
    });

    it('agentd triggers create/list/get/update/deliveries/rotate-secret/delete', async () => {
      const created = JSON.parse((await ok(['triggers', 'create', '--target', 'hello/greet', '--name', 'cli', '--pointer', '/data', '--rate', '50/10', '--json'])).stdout);
      assert.match(created.secret, /^whsec_/);
      assert.deepEqual([created.mapping, created.rate_limit], [{ pointer: '/data' }, { count: 50, period_seconds: 10 }]);
      const human = await ok(['triggers', 'create', '--target', 'hello/greet', '--auth', 'bearer']);
      assert.match(human.stdout, /secret \(shown once; senders send it as Authorization: Bearer <secret>\):\n {2}whtok_/);
      assert.match((await ok(['triggers', 'list'])).stdout, new RegExp(`${created.id}\\s+cli\\s+hello/greet\\s+signature`));
      const got = (await ok(['triggers', 'get', created.id])).stdout;
      assert.match(got, /input:\s+pointer \/data/);
      assert.ok(!got.includes(created.secret));
      assert.match((await ok(['triggers', 'update', created.id, '--whole-body'])).stdout, /input:\s+the whole body/);
      assert.equal(JSON.parse((await ok(['triggers', 'update', created.id, '--template', '{"name":"{% body.n %}"}', '--json'])).stdout).mapping.template.name, '{% body.n %}');
      assert.match((await ok(['triggers', 'deliveries', created.id])).stdout, /no deliveries yet/);
      const mine = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
      const rotated = await ok(['triggers', 'rotate-secret', created.id, '--overlap', '0', '--secret-env', 'MY_SECRET', '--json'], { MY_SECRET: mine });
      assert.equal(JSON.parse(rotated.stdout).secret, mine);
      const missing = await agentd(['triggers', 'create', '--target', 'nope']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /--target takes <agent>\/<endpoint>/);
      const unknown = await agentd(['triggers', 'create', '--target', 'ghost/x']);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /AGENT_NOT_FOUND/);
      assert.match((await ok(['triggers', 'delete', created.id])).stdout, new RegExp(`deleted trigger ${created.id}`));
    });

    it('agentd triggers sign: headers the standardwebhooks library verifies; --curl delivers; --id repeats deduplicate', async () => {
      const trg = await client.triggers.create({ target: { agent: 'hello', endpoint: 'greet' } });
      const payload = '{"name":"signed"}';
      const env = { AGENTD_TRIGGER_SECRET: trg.secret };
      const headers = JSON.parse((await ok(['triggers', 'sign', payload, '--id', 'msg_cli_1', '--json'], env)).stdout);
      assert.equal(headers['webhook-id'], 'msg_cli_1');
      assert.doesNotThrow(() => new StandardWebhook(trg.secret).verify(payload, headers));
      assert.throws(() => new StandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(payload, headers));
      const lines = (await ok(['triggers', 'sign', payload], env)).stdout.trim().split('\n');
      assert.deepEqual(lines.map((l) => l.split(':')[0]), ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
      // The README's way: the printed curl command, run by a shell, twice with one id.
      const curl = (await ok(['triggers', 'sign', payload, '--id', 'msg_cli_2', '--curl', trg.url], env)).stdout.trim();
      assert.match(curl, /^curl -sS -X POST '/);
      const first = await run('/bin/sh', ['-c', curl], {});
      const second = await run('/bin/sh', ['-c', curl], {});
      assert.equal(first.code, 0, show(first));
      const a = JSON.parse(first.stdout);
      const b = JSON.parse(second.stdout);
      assert.deepEqual([a.duplicate, a.run.input, b.duplicate, b.run_id], [false, { name: 'signed' }, true, a.run_id]);
      const noSecret = await agentd(['triggers', 'sign', payload]);
      assert.notEqual(noSecret.code, 0);
      assert.match(noSecret.stderr, /set AGENTD_TRIGGER_SECRET/);
      const badSecret = await agentd(['triggers', 'sign', payload], { AGENTD_TRIGGER_SECRET: 'whsec_' });
      assert.notEqual(badSecret.code, 0);
      assert.match(badSecret.stderr, /not a Standard Webhooks secret/);
    });
  });
}
