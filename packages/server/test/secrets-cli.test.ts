/**
 * `agentd secrets …` and `agentd grants …` as a person uses them: the real binary as a child
 * process against a real server (SQLite, master key in a 0600 file made on first start). Then a
 * master-key rotation: the server restarts with a new AGENTD_MASTER_KEY and the file's key as
 * AGENTD_MASTER_KEY_PREVIOUS, `agentd secrets rewrap` moves every version, and a restart with the
 * new key alone still reads them all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks } from './helpers/leak-check.ts';
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/agentd.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let dataDir: string;
let workDir: string;
let adminKey: string;
const printed: string[] = [];
const children = new Set<ChildProcess>();
const CANARY = `cli-canary-${randomBytes(12).toString('hex')}`;

async function start(env: Record<string, string>): Promise<void> {
  server = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1', ...env }), (l) => printed.push(l));
}

function agentd(args: string[], options: { stdin?: string } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
  Object.assign(env, { AGENTD_URL: server.url, AGENTD_API_KEY: adminKey });
  return new Promise((done) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: workDir, env, timeout: 60_000 }, (err, stdout, stderr) => {
      children.delete(child);
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
    children.add(child);
    child.stdin?.end(options.stdin ?? '');
  });
}

const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
/** Every byte the CLI wrote in this file, to check the value never comes back out. */
const outputs: string[] = [];
async function ok(args: string[], options?: { stdin?: string }): Promise<CliResult> {
  const r = await agentd(args, options);
  outputs.push(r.stdout, r.stderr);
  assert.equal(r.code, 0, show(r));
  return r;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'agentd-secrets-cli-'));
  workDir = await mkdtemp(join(tmpdir(), 'agentd-secrets-cli-work-'));
  await start({});
  adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  await writeFile(
    join(workDir, 'agent.json'),
    JSON.stringify({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'payer' }, spec: { runtime: 'worker', endpoints: { pay: { input: { type: 'object' }, output: { type: 'object' } } } } }),
  );
  await writeFile(join(workDir, 'value.txt'), `${CANARY}-from-file\n`);
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
  await assertNoLeaks();
});

describe('agentd secrets and grants', () => {
  it('made the master key file on first start, mode 0600', async () => {
    assert.equal((await stat(join(dataDir, 'master.key'))).mode & 0o777, 0o600);
    assert.ok(printed.some((l) => /created a master key for secrets/.test(l)));
  });

  it('secrets set creates from stdin, then rotates; the value is never printed', async () => {
    const created = await ok(['secrets', 'set', 'payments_key', '--stdin', '--description', 'the payment provider'], { stdin: `${CANARY}\n` });
    assert.equal(created.stdout.trim(), 'created secret payments_key version 1');
    const rotated = await ok(['secrets', 'set', 'payments_key', '--from-file', 'value.txt']);
    assert.equal(rotated.stdout.trim(), 'rotated secret payments_key version 2');
    const again = await ok(['secrets', 'rotate', 'payments_key', '--value', `${CANARY}-v3`, '--json']);
    assert.equal(JSON.parse(again.stdout).version, 3);
    const value = await server.engine.secrets.readValue({ tenantId: 'default', name: 'payments_key', version: 1 });
    assert.equal(value, CANARY, 'one trailing newline of stdin was dropped');
    assert.equal(await server.engine.secrets.readValue({ tenantId: 'default', name: 'payments_key', version: 2 }), `${CANARY}-from-file`);
  });

  it('refuses a missing, doubled or empty value as a usage error (exit 2) before sending anything', async () => {
    for (const args of [['secrets', 'set', 'x_y'], ['secrets', 'set', 'x_y', '--value', 'a', '--stdin'], ['secrets', 'rotate', 'x_y']]) {
      const r = await agentd(args);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /exactly one of --value/);
    }
    const empty = await agentd(['secrets', 'set', 'x_y', '--stdin'], { stdin: '\n' });
    assert.equal(empty.code, 2, show(empty));
    assert.match(empty.stderr, /empty/);
    const bad = await agentd(['secrets', 'set', 'Bad-Name', '--value', CANARY]);
    outputs.push(bad.stdout, bad.stderr);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /VALIDATION_ERROR/);
  });

  it('list and get show metadata only', async () => {
    const list = await ok(['secrets', 'list']);
    assert.match(list.stdout, /^NAME\s+VERSION\s+KEK\s+UPDATED\s+DESCRIPTION\n/);
    assert.match(list.stdout, /payments_key\s+3\s+kek_[0-9a-f]{16}/);
    const get = await ok(['secrets', 'get', 'payments_key']);
    assert.match(get.stdout, /name:\s+payments_key/);
    assert.match(get.stdout, /description:\s+the payment provider/);
    assert.equal(get.stdout.match(/kek_[0-9a-f]{16}/g)!.length, 4, 'the current key and each of 3 versions');
    const missing = await agentd(['secrets', 'get', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /SECRET_NOT_FOUND/);
  });

  it('grants add, list, revoke', async () => {
    await ok(['agents', 'deploy', 'agent.json']);
    const added = await ok(['grants', 'add', 'payments_key', 'payer', '--endpoint', 'pay']);
    const id = /(grt_[0-9a-z]+)/.exec(added.stdout)![1];
    assert.match(added.stdout, /granted payments_key → payer\/pay/);
    const list = await ok(['grants', 'list', '--agent', 'payer']);
    assert.match(list.stdout, new RegExp(`${id}\\s+payments_key\\s+payer\\s+pay`));
    const json = JSON.parse((await ok(['grants', 'list', '--secret', 'payments_key', '--json'])).stdout);
    assert.equal(json.data.length, 1);
    await ok(['grants', 'revoke', id]);
    assert.match((await ok(['grants', 'list'])).stdout, /no grants/);
    assert.match((await ok(['grants', 'list', '--all'])).stdout, new RegExp(id));
    const unknown = await agentd(['grants', 'add', 'payments_key', 'nobody']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /AGENT_NOT_FOUND/);
  });

  it('rotating the master key: old versions stay readable, rewrap moves them, then the new key alone reads them', async () => {
    const oldKey = (await readFile(join(dataDir, 'master.key'), 'utf8')).trim();
    const newKey = randomBytes(32).toString('base64');
    await server.close();
    await start({ AGENTD_MASTER_KEY: newKey, AGENTD_MASTER_KEY_PREVIOUS: oldKey });
    const current = server.engine.secrets.keyring.current.id;
    assert.equal(await server.engine.secrets.readValue({ tenantId: 'default', name: 'payments_key', version: 1 }), CANARY, 'readable through the previous key');
    const before = JSON.parse((await ok(['secrets', 'get', 'payments_key', '--json'])).stdout);
    assert.ok(before.versions.every((v: { kek_id: string }) => v.kek_id !== current));

    const rewrap = await ok(['secrets', 'rewrap']);
    assert.equal(rewrap.stdout.trim(), `re-wrapped 3 version(s) under master key ${current}`);
    const afterRewrap = JSON.parse((await ok(['secrets', 'get', 'payments_key', '--json'])).stdout);
    assert.ok(afterRewrap.versions.every((v: { kek_id: string }) => v.kek_id === current));

    await server.close();
    printed.length = 0;
    await start({ AGENTD_MASTER_KEY: newKey });
    assert.ok(!printed.some((l) => /warning/.test(l)), 'nothing left under an unknown key');
    for (const [version, value] of [[1, CANARY], [2, `${CANARY}-from-file`], [3, `${CANARY}-v3`]] as const) {
      assert.equal(await server.engine.secrets.readValue({ tenantId: 'default', name: 'payments_key', version }), value);
    }

    // Forgetting a key the data still needs is named at startup.
    await server.close();
    printed.length = 0;
    await start({});
    assert.ok(printed.some((l) => l.includes(`wrapped by master key ${current}, which this server was not given`)), printed.join('\n'));
  });

  it('secrets delete; no CLI output ever held the value', async () => {
    const del = await ok(['secrets', 'delete', 'payments_key']);
    assert.equal(del.stdout.trim(), 'deleted secret payments_key');
    assert.match((await ok(['secrets', 'list'])).stdout, /no secrets yet/);
    assert.ok(outputs.length > 20);
    assert.ok(!outputs.some((o) => o.includes(CANARY)));
  });
});
