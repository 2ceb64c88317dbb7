/**
 * The client commands end to end: a real server in this process, the real `agentd` binary as a
 * child process talking to it over a socket, and (for runs that must finish) a real SDK worker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { silentLogger, Worker } from '@agentd/sdk/worker';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/agentd.js');
const HELLO_YAML = join(ROOT, 'examples/hello/agent.yaml');

/** An agent no worker serves: its runs stay queued, and its two endpoints make a bare name ambiguous. */
const IDLE_MANIFEST = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'idle', description: 'Never worked on.' },
  spec: {
    runtime: 'worker',
    endpoints: {
      first: { input: { type: 'object' }, output: { type: 'object' } },
      second: { input: { type: 'object' }, output: { type: 'object' } },
    },
  },
};

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let dataDir: string;
let workDir: string;
let adminKey: string;
let worker: Worker | undefined;
let workerRunning: Promise<void> | undefined;
const children = new Set<ChildProcess>();

/** The environment of a child: this one's without any AGENTD_*, so only what a test sets counts. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs `agentd <args>`; async because the server it talks to lives in this very process. */
function agentd(args: string[], options: { env?: Record<string, string | undefined>; stdin?: string } = {}): Promise<CliResult> {
  const env = childEnv({ AGENTD_URL: server.url, AGENTD_API_KEY: adminKey, ...options.env });
  return new Promise((resolvePromise) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: workDir, env, timeout: 60_000 }, (err, stdout, stderr) => {
      children.delete(child);
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
    children.add(child);
    child.stdin?.end(options.stdin ?? '');
  });
}

/** For failures, the whole story in the assertion message. */
function show(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

function startHelloWorker(): void {
  if (worker) return;
  worker = new Worker({
    client: new Agentd({ baseURL: server.url, apiKey: adminKey }),
    agent: 'hello',
    handleSignals: false,
    logger: silentLogger,
    pollWaitMs: 500,
    endpoints: {
      greet: async (input: { name: string }, ctx) => {
        await ctx.log(`greeting ${input.name}`);
        return { greeting: `Hello, ${input.name}!` };
      },
    },
  });
  workerRunning = worker.run();
}

/** A port nothing listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'agentd-cli-data-'));
  workDir = await mkdtemp(join(tmpdir(), 'agentd-cli-work-'));
  server = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1' }), () => {});
  adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  await writeFile(join(workDir, 'idle.json'), JSON.stringify(IDLE_MANIFEST));
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await worker?.stop();
  await workerRunning;
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
  await assertNoLeakedHandles();
});

/** Children, sockets, servers and timers this file started must all be gone (pipes are not checked: the test runner's own stdio is one). */
async function assertNoLeakedHandles(): Promise<void> {
  const leaky = () => process.getActiveResourcesInfo().filter((r) => /^(Timeout|TCPSocketWrap|TCPServerWrap|TCPWrap|ProcessWrap)$/.test(r));
  // Sockets closed by the peer take a few turns of the event loop to go.
  for (let i = 0; i < 100 && leaky().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(leaky(), [], 'leaked handles');
}

describe('agentd client commands', () => {
  it('has help for the program and for each command and option', async () => {
    const [top, run, list] = await Promise.all([agentd(['--help']), agentd(['run', '--help']), agentd(['runs', 'list', '--help'])]);
    assert.equal(top.code, 0, show(top));
    for (const command of ['agents', 'run', 'runs', 'keys']) assert.match(top.stdout, new RegExp(`\\n  ${command} `));
    assert.equal(run.code, 0, show(run));
    for (const option of ['--input', '--wait', '--follow', '--json', '--idempotency-key', '--priority', '--metadata', '--url', '--api-key', '--data-dir']) {
      assert.ok(run.stdout.includes(option), `run --help lacks ${option}`);
    }
    assert.match(list.stdout, /--status/);
    assert.match(list.stdout, /--api-key/, 'a subcommand shows its group\'s connection options');
  });

  it('deploys agents from YAML and JSON, then lists and shows them', async () => {
    const yaml = await agentd(['agents', 'deploy', HELLO_YAML]);
    assert.equal(yaml.code, 0, show(yaml));
    assert.match(yaml.stdout, /deployed hello version 1/);

    const json = await agentd(['agents', 'deploy', 'idle.json', '--json']);
    assert.equal(json.code, 0, show(json));
    const idle = JSON.parse(json.stdout);
    assert.equal(idle.name, 'idle');
    assert.equal(idle.version, 1);

    const list = await agentd(['agents', 'list']);
    assert.equal(list.code, 0, show(list));
    assert.match(list.stdout, /^NAME\s+VERSION\s+ENDPOINTS/);
    assert.match(list.stdout, /\nhello\s+1\s+greet/);
    assert.match(list.stdout, /\nidle\s+1\s+first, second/);

    const get = await agentd(['agents', 'get', 'hello', '--json']);
    assert.equal(get.code, 0, show(get));
    assert.equal(JSON.parse(get.stdout).endpoints.greet.enabled, true);
    const text = await agentd(['agents', 'get', 'hello']);
    assert.match(text.stdout, /greet\s+enabled, timeout 30s, up to 3 attempts/);

    const again = await agentd(['agents', 'deploy', HELLO_YAML]);
    assert.match(again.stdout, /deployed hello version 2/);
    const versions = await agentd(['agents', 'versions', 'hello', '--json']);
    assert.deepEqual(JSON.parse(versions.stdout).data.map((v: { version: number }) => v.version), [2, 1]);
  });

  it('reports a missing agent and an invalid manifest with the code and field paths', async () => {
    const missing = await agentd(['agents', 'get', 'nobody']);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /^agentd: AGENT_NOT_FOUND: /);

    await writeFile(join(workDir, 'bad.yaml'), 'apiVersion: agentd.dev/v1\nkind: Agent\nmetadata: { name: "Bad Name" }\nspec: { runtime: worker, endpoints: {} }\n');
    const bad = await agentd(['agents', 'deploy', 'bad.yaml']);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /^agentd: MANIFEST_INVALID: /);
    assert.match(bad.stderr, /\n {2}metadata\.name: /);

    const unreadable = await agentd(['agents', 'deploy', 'no-such-file.yaml']);
    assert.equal(unreadable.code, 2, show(unreadable));
    assert.match(unreadable.stderr, /cannot read manifest no-such-file\.yaml: ENOENT/);
  });

  it('runs hello/greet with --wait --json and prints the succeeded run with its output', async () => {
    startHelloWorker();
    const r = await agentd(['run', 'hello/greet', '--input', '{"name":"Ada"}', '--wait', '--json']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /"status": "succeeded"/);
    const run = JSON.parse(r.stdout);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.output, { greeting: 'Hello, Ada!' });
  });

  it('runs the only endpoint of a bare agent name with --input @file, and from stdin', async () => {
    startHelloWorker();
    await writeFile(join(workDir, 'input.json'), '{"name":"Grace"}');
    const r = await agentd(['run', 'hello', '--input', '@input.json', '--wait']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^run run_\S+ \(hello\/greet\) succeeded in /);
    assert.match(r.stdout, /"greeting": "Hello, Grace!"/);

    const piped = await agentd(['run', 'hello', '--input', '@-', '--wait', '--json'], { stdin: '{"name":"Linus"}' });
    assert.equal(piped.code, 0, show(piped));
    assert.deepEqual(JSON.parse(piped.stdout).output, { greeting: 'Hello, Linus!' });
  });

  it('follows a run: one line per event up to run.succeeded, then the final state', async () => {
    startHelloWorker();
    const r = await agentd(['run', 'hello/greet', '--input', '{"name":"Ada"}', '--follow']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trimEnd().split('\n');
    const events = lines.filter((l) => /^\s*\d+ {2}/.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 2));
    assert.deepEqual(events[0], ['1', 'run.queued']);
    assert.deepEqual(events.at(-1)?.[1], 'run.succeeded');
    assert.deepEqual(events.map(([seq]) => Number(seq)), events.map((_, i) => i + 1), 'seqs are 1, 2, 3, … with no gap');
    assert.ok(lines.some((l) => l.includes('run.log') && l.includes('"message":"greeting Ada"')), 'data is printed compactly');
    assert.match(r.stdout, /\nrun run_\S+ \(hello\/greet\) succeeded/);

    const json = await agentd(['run', 'hello/greet', '--input', '{"name":"Bo"}', '--follow', '--json']);
    assert.equal(json.code, 0, show(json));
    const objects = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const final = objects.pop();
    assert.equal(objects.at(-1).type, 'run.succeeded');
    assert.ok(objects.every((e) => e.run_id === final.id));
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(final.output, { greeting: 'Hello, Bo!' });
  });

  it('creates a run without waiting and prints its id; lists and gets runs', async () => {
    startHelloWorker();
    const created = await agentd(['run', 'hello/greet', '--input', '{"name":"Ada"}', '--priority', '7', '--metadata', '{"team":"docs"}']);
    assert.equal(created.code, 0, show(created));
    const id = created.stdout.trim();
    assert.match(id, /^run_\w+$/);

    const got = await agentd(['runs', 'get', id, '--json']);
    assert.equal(got.code, 0, show(got));
    const run = JSON.parse(got.stdout);
    assert.equal(run.priority, 7);
    assert.deepEqual(run.metadata, { team: 'docs' });
    const text = await agentd(['runs', 'get', id]);
    assert.match(text.stdout, new RegExp(`^id:\\s+${id}\\n`));
    assert.match(text.stdout, /\nagent:\s+hello\/greet \(version 2\)/);

    const table = await agentd(['runs', 'list']);
    assert.equal(table.code, 0, show(table));
    assert.match(table.stdout, /^ID\s+AGENT\s+ENDPOINT\s+STATUS\s+ATTEMPTS\s+CREATED/);
    assert.ok(table.stdout.includes(id));

    const succeeded = await agentd(['runs', 'list', '--agent', 'hello', '--status', 'succeeded,failed', '--all', '--json']);
    assert.equal(succeeded.code, 0, show(succeeded));
    const page = JSON.parse(succeeded.stdout);
    assert.ok(page.data.length >= 4);
    assert.ok(page.data.every((r: { status: string; agent: string }) => r.status === 'succeeded' && r.agent === 'hello'));

    const limited = await agentd(['runs', 'list', '--limit', '1', '--json']);
    assert.equal(JSON.parse(limited.stdout).data.length, 1);
    assert.match(limited.stderr, /^$/, '--json keeps stderr quiet');
  });

  it('refuses bad command lines with exit code 2 before sending anything', async () => {
    const cases: [string[], RegExp][] = [
      [['run', 'hello/greet'], /required option '--input/],
      [['run', 'hello/greet', '--input', '{nope'], /--input is not valid JSON/],
      [['run', 'hello/greet', '--input', '@missing.json'], /cannot read --input file missing\.json/],
      [['run', 'hello/greet', '--input', '{}', '--metadata', '[1]'], /--metadata must be a JSON object/],
      [['run', 'hello/greet', '--input', '{}', '--priority', '1000'], /--priority must be an integer from -100 to 100/],
      [['runs', 'list', '--status', 'done'], /unknown status done; choose from queued, /],
      [['runs', 'list', '--limit', '5', '--all'], /cannot be used with/],
      [['keys', 'create'], /required option '--role/],
      [['agents', 'list', '--url', 'ftp://example.com'], /--url must be http/],
      [['agents', 'list', '--url', 'http://user:hunter2@127.0.0.1:7070'], /--url must not contain user:password@/],
    ];
    const results = await Promise.all(cases.map(([args]) => agentd(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i];
      assert.equal(r.code, 2, `${args.join(' ')}\n${show(r)}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /^agentd: /, args.join(' '));
    }
  });

  it('names the endpoints when a bare agent name is ambiguous', async () => {
    const r = await agentd(['run', 'idle', '--input', '{}']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /agent idle has 2 endpoints \(first, second\)/);
  });

  it('rejects input that breaks the schema with INPUT_INVALID and the field path', async () => {
    const r = await agentd(['run', 'hello/greet', '--input', '{"name":5}', '--wait']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /^agentd: INPUT_INVALID: /);
    assert.match(r.stderr, /\n {2}input\.name: must be string/);
    assert.equal(r.stdout, '');
  });

  it('cancels a queued run, and says when it had already ended', async () => {
    const created = await agentd(['run', 'idle/first', '--input', '{}']);
    assert.equal(created.code, 0, show(created));
    const id = created.stdout.trim();
    const queued = await agentd(['runs', 'list', '--agent', 'idle', '--status', 'queued', '--json']);
    assert.ok(JSON.parse(queued.stdout).data.some((r: { id: string }) => r.id === id));

    const cancel = await agentd(['runs', 'cancel', id, '--reason', 'not needed']);
    assert.equal(cancel.code, 0, show(cancel));
    assert.equal(cancel.stdout, `cancelled run ${id}\n`);
    const got = await agentd(['runs', 'get', id, '--json']);
    assert.equal(JSON.parse(got.stdout).status, 'cancelled');

    const twice = await agentd(['runs', 'cancel', id]);
    assert.equal(twice.code, 1, show(twice));
    assert.match(twice.stderr, /^agentd: RUN_ALREADY_TERMINAL: /);
    assert.match(twice.stderr, /\n {2}status: cancelled/);

    const events = await agentd(['runs', 'events', id, '--json']);
    const types = JSON.parse(events.stdout).data.map((e: { type: string }) => e.type);
    assert.deepEqual(types, ['run.queued', 'run.cancelled']);
  });

  it('exits 1 after waiting on a run that ends cancelled', async () => {
    const created = await agentd(['run', 'idle/second', '--input', '{}']);
    const id = created.stdout.trim();
    const client = new Agentd({ baseURL: server.url, apiKey: adminKey });
    const following = agentd(['runs', 'events', id, '--follow']);
    const waiting = agentd(['run', 'idle/second', '--input', '{}', '--follow', '--json', '--idempotency-key', 'cancel-me']);
    // The same key and body replay the first answer, so this is the run the child follows.
    const replayed = await client.runs.create({ agent: 'idle', endpoint: 'second', input: {} }, { idempotencyKey: 'cancel-me' });
    await client.runs.cancel(id);
    await client.runs.cancel(replayed.id, { reason: 'stop' });
    const [follow, wait] = await Promise.all([following, waiting]);
    assert.equal(follow.code, 0, show(follow));
    assert.match(follow.stdout, /\n {3}2 {2}run\.cancelled\s+\{"reason":null\}\n$/);
    assert.equal(wait.code, 1, show(wait));
    const lines = wait.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.at(-2).type, 'run.cancelled');
    assert.equal(lines.at(-1).status, 'cancelled');
  });

  it('prints stored events as lines or as the JSON page, after a seq, and follows to the end', async () => {
    startHelloWorker();
    const done = JSON.parse((await agentd(['run', 'hello/greet', '--input', '{"name":"Ev"}', '--wait', '--json'])).stdout);
    const page = await agentd(['runs', 'events', done.id, '--json']);
    assert.equal(page.code, 0, show(page));
    const body = JSON.parse(page.stdout);
    assert.deepEqual(Object.keys(body).sort(), ['data', 'next_cursor']);
    assert.equal(body.data[0].type, 'run.queued');
    assert.equal(body.data.at(-1).type, 'run.succeeded');

    const lines = await agentd(['runs', 'events', done.id]);
    assert.equal(lines.stdout.trimEnd().split('\n').length, body.data.length);
    assert.match(lines.stdout, /^ {3}1 {2}run\.queued /);

    const after = await agentd(['runs', 'events', done.id, '--after', '1', '--json']);
    assert.equal(JSON.parse(after.stdout).data[0].seq, 2);

    const follow = await agentd(['runs', 'events', done.id, '--follow', '--json']);
    assert.equal(follow.code, 0, show(follow));
    const streamed = follow.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(streamed, body.data);

    const missing = await agentd(['runs', 'events', 'run_nope', '--follow']);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /^agentd: RUN_NOT_FOUND: /);
  });

  it('disables and enables an endpoint', async () => {
    const off = await agentd(['agents', 'disable', 'idle', 'first']);
    assert.equal(off.code, 0, show(off));
    assert.equal(off.stdout, 'disabled idle/first\n');
    const refused = await agentd(['run', 'idle/first', '--input', '{}']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /^agentd: ENDPOINT_DISABLED: /);
    const on = await agentd(['agents', 'enable', 'idle', 'first', '--json']);
    assert.equal(JSON.parse(on.stdout).endpoints.first.enabled, true);
  });

  it('creates, lists and revokes keys; a revoked key gets UNAUTHORIZED and is never printed', async () => {
    const created = await agentd(['keys', 'create', '--role', 'viewer', '--name', 'ci']);
    assert.equal(created.code, 0, show(created));
    const key = created.stdout.trim();
    assert.match(key, /^agd_\S+$/);
    assert.match(created.stderr, /will not be shown again/);

    const json = await agentd(['keys', 'create', '--role', 'worker', '--agents', 'hello', '--json']);
    const workerKey = JSON.parse(json.stdout);
    assert.equal(workerKey.role, 'worker');
    assert.deepEqual(workerKey.agents, ['hello']);
    assert.match(workerKey.key, /^agd_/);

    const list = await agentd(['keys', 'list', '--json']);
    const keys = JSON.parse(list.stdout).data as { id: string; name: string | null; role: string }[];
    const viewer = keys.find((k) => k.name === 'ci' && k.role === 'viewer');
    assert.ok(viewer, list.stdout);
    assert.ok(!list.stdout.includes(key), 'keys list never shows a key');
    const table = await agentd(['keys', 'list']);
    assert.match(table.stdout, /^ID\s+NAME\s+ROLE\s+AGENTS\s+PREFIX\s+CREATED\s+EXPIRES/);

    const asViewer = await agentd(['runs', 'list', '--api-key', key]);
    assert.equal(asViewer.code, 0, show(asViewer));
    const forbidden = await agentd(['keys', 'list'], { env: { AGENTD_API_KEY: key } });
    assert.equal(forbidden.code, 1, show(forbidden));
    assert.match(forbidden.stderr, /^agentd: FORBIDDEN: /);

    const revoke = await agentd(['keys', 'revoke', viewer.id]);
    assert.equal(revoke.code, 0, show(revoke));
    assert.match(revoke.stdout, new RegExp(`^revoked key ${viewer.id} \\(ci\\)`));

    const refused = await agentd(['runs', 'list', '--api-key', key]);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /^agentd: UNAUTHORIZED: /);
    assert.ok(!refused.stderr.includes(key) && !refused.stdout.includes(key), 'the key is never printed');
  });

  it('keys create --role worker --agents a,b [--expires-at]: the key leases those agents only; no --agents is KEY_INVALID', async () => {
    const missing = await agentd(['keys', 'create', '--role', 'worker', '--name', 'no-list']);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /^agentd: KEY_INVALID: /);
    assert.match(missing.stderr, /body\.agents/, 'the field is named');
    assert.equal(missing.stdout, '', 'no key was made, none printed');

    const made = await agentd(['keys', 'create', '--role', 'worker', '--name', 'two-agents', '--agents', 'hello,idle', '--expires-at', '30d']);
    assert.equal(made.code, 0, show(made));
    const key = made.stdout.trim();
    assert.match(key, /^agd_\S+$/);
    assert.match(made.stderr, /for agents hello,idle, expiring /);
    const lease = (agent: string) =>
      fetch(`${server.url}/v1/worker/lease`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ agent, wait_ms: 0 }) });
    // Leasing `hello` may take a run another test queued; it is released at once so nothing waits on it.
    const hello = await lease('hello');
    assert.equal(hello.status, 200);
    for (const task of ((await hello.json()) as { tasks: { lease_id: string }[] }).tasks) {
      await fetch(`${server.url}/v1/leases/${task.lease_id}/release`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    }
    assert.equal((await lease('idle')).status, 200);
    const other = await lease('nobody');
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');

    const list = JSON.parse((await agentd(['keys', 'list', '--json'])).stdout).data as { name: string | null; agents: string[] | null; expires_at: string | null }[];
    const row = list.find((k) => k.name === 'two-agents');
    assert.deepEqual(row?.agents, ['hello', 'idle']);
    const days = (Date.parse(row!.expires_at!) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in 30 days, got ${row?.expires_at}`);
    const table = (await agentd(['keys', 'list'])).stdout;
    assert.match(table.split('\n').find((l) => l.includes('two-agents')) ?? '', /\bworker\s+hello,idle\s/);

    const star = await agentd(['keys', 'create', '--role', 'worker', '--agents', '*']);
    assert.equal(star.code, 0, show(star));
    assert.match(star.stderr, /receives no secrets/);
    const badExpiry = await agentd(['keys', 'create', '--role', 'viewer', '--expires-at', 'soon']);
    assert.equal(badExpiry.code, 2, show(badExpiry));
    const notWorker = await agentd(['keys', 'create', '--role', 'viewer', '--agents', 'hello']);
    assert.equal(notWorker.code, 1, show(notWorker));
    assert.match(notWorker.stderr, /^agentd: KEY_INVALID: /);
  });

  it('falls back to <data-dir>/admin.key when no key is given', async () => {
    const flag = await agentd(['agents', 'list', '--data-dir', dataDir], { env: { AGENTD_API_KEY: undefined } });
    assert.equal(flag.code, 0, show(flag));
    assert.match(flag.stdout, /\nhello\s/);
    const env = await agentd(['runs', 'list', '--limit', '1'], { env: { AGENTD_API_KEY: undefined, AGENTD_DATA_DIR: dataDir } });
    assert.equal(env.code, 0, show(env));

    // No flag, no env, and ./.agentd (in the working directory) holds no key: say where to put one.
    const none = await agentd(['agents', 'list'], { env: { AGENTD_API_KEY: undefined } });
    assert.equal(none.code, 1, show(none));
    assert.match(none.stderr, /^agentd: UNAUTHORIZED: /);
    assert.match(none.stderr, /hint: no API key given: .*admin\.key/);
  });

  it('says which URL could not be reached, without the key', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await agentd(['agents', 'list', '--url', url]);
    assert.equal(r.code, 1, show(r));
    assert.ok(r.stderr.includes(`cannot reach the agentd server at ${url}`), r.stderr);
    assert.ok(!r.stderr.includes(adminKey));
  });
});
