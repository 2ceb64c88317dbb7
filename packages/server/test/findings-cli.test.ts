/**
 * `agentd findings list [--follow]`, `agentd logs <run> [--follow]` and `agentd audit list`: the
 * real binary as a child process against a server in this process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

const BIN = join(resolve(import.meta.dirname, '../../..'), 'packages/server/bin/agentd.js');
const SCANNER = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'scanner' }, spec: { runtime: 'worker', endpoints: { scan: { input: {}, output: {}, timeout: '30s' } } } };

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

for (const d of await dialects()) {
  describe(`findings, logs and audit commands (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let url: string;
    let workerKey: string;
    const children = new Set<ChildProcess>();

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      url = await t.listen();
      assert.equal((await t.call('POST', '/v1/agents', { body: SCANNER })).statusCode, 201);
      workerKey = await t.keyFor('worker');
    });
    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      await t?.close();
      await db?.cleanup();
    });

    const env = (key = t.adminKey) => {
      const e: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) e[k] = v;
      return { ...e, AGENTD_URL: url, AGENTD_API_KEY: key };
    };
    const agentd = (args: string[], key?: string): Promise<CliResult> =>
      new Promise((done) => {
        const child = execFile(process.execPath, [BIN, ...args], { env: env(key), timeout: 60_000 }, (err, stdout, stderr) => {
          children.delete(child);
          done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
        });
        children.add(child);
      });
    /** Starts a long-running command; `until(text)` resolves once stdout holds it. */
    const start = (args: string[]) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let stdout = '';
      let stderr = '';
      const waiters: { text: string; resolve: () => void }[] = [];
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
        for (const w of waiters.filter((w) => stdout.includes(w.text))) w.resolve();
      });
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number>((r) => child.on('exit', (code, signal) => (children.delete(child), r(code ?? (signal ? 128 : -1)))));
      return {
        child,
        exited,
        output: () => ({ stdout, stderr }),
        until: (text: string) => (stdout.includes(text) ? Promise.resolve() : new Promise<void>((r) => waiters.push({ text, resolve: r }))),
      };
    };
    const leasedRun = async () => {
      const run = (await t.call('POST', '/v1/runs', { body: { agent: 'scanner', endpoint: 'scan', input: {} } })).json();
      const [task] = (await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent: 'scanner', wait_ms: 0 } })).json().tasks;
      return { runId: run.id as string, leaseId: task.lease_id as string };
    };
    const postFindings = async (leaseId: string, findings: unknown[]) => {
      const r = await t.call('POST', `/v1/leases/${leaseId}/findings`, { key: workerKey, body: { findings } });
      assert.equal(r.statusCode, 201, r.body);
    };
    const appendLogs = async (leaseId: string, messages: [string, string][]) => {
      const events = messages.map(([level, message]) => ({ type: 'run.log', data: { level, message } }));
      assert.equal((await t.call('POST', `/v1/leases/${leaseId}/events`, { key: workerKey, body: { events } })).statusCode, 200);
    };

    it('findings list prints a table, JSON, and filters by run, severity and agent', async () => {
      const a = await leasedRun();
      const b = await leasedRun();
      await postFindings(a.leaseId, [{ severity: 'critical', summary: 'first one', file: 'a.ts:1', source: 'cli-test' }]);
      await postFindings(b.leaseId, [{ severity: 'info', summary: 'second one' }]);
      const table = await agentd(['findings', 'list']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^ID\s+SEVERITY\s+RUN\s+AGENT\s+SOURCE\s+FILE\s+SUMMARY/);
      assert.match(table.stdout, /critical\s+run_\w+\s+scanner\s+cli-test\s+a\.ts:1\s+first one/);
      const json = JSON.parse((await agentd(['findings', 'list', '--json', '--severity', 'info'])).stdout);
      assert.deepEqual(json.data.map((f: { summary: string }) => f.summary), ['second one']);
      const byRun = JSON.parse((await agentd(['findings', 'list', '--json', '--run', a.runId])).stdout);
      assert.deepEqual(byRun.data.map((f: { summary: string }) => f.summary), ['first one']);
      assert.equal(JSON.parse((await agentd(['findings', 'list', '--json', '--agent', 'nobody'])).stdout).data.length, 0);
      const bad = await agentd(['findings', 'list', '--severity', 'fatal']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown severity fatal/);
      const missing = await agentd(['findings', 'list', '--run', 'run_nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /RUN_NOT_FOUND/);
    });

    it('findings list --follow prints new findings as they arrive, each once, until Ctrl-C', async () => {
      const { leaseId } = await leasedRun();
      const since = JSON.parse((await agentd(['findings', 'list', '--json', '--limit', '500'])).stdout).data.at(-1).id;
      const follow = start(['findings', 'list', '--follow', '--json', '--since', since, '--interval', '50']);
      await postFindings(leaseId, [{ severity: 'warning', summary: 'live 1' }]);
      await follow.until('live 1');
      await postFindings(leaseId, [{ severity: 'critical', summary: 'live 2' }, { severity: 'info', summary: 'live 3' }]);
      await follow.until('live 3');
      follow.child.kill('SIGINT');
      assert.equal(await follow.exited, 0, follow.output().stderr);
      const lines = follow.output().stdout.trim().split('\n').map((l) => JSON.parse(l) as { summary: string });
      assert.deepEqual(lines.map((f) => f.summary), ['live 1', 'live 2', 'live 3']);
    });

    it('logs prints a run’s lines; --follow keeps printing until the run ends', async () => {
      const { runId, leaseId } = await leasedRun();
      await appendLogs(leaseId, [['info', 'hello there'], ['warn', 'careful']]);
      const logs = await agentd(['logs', runId]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /INFO\s+hello there\n.*WARN\s+careful\n$/);
      const warn = JSON.parse((await agentd(['logs', runId, '--level', 'warn', '--json'])).stdout);
      assert.deepEqual(warn.data.map((l: { message: string }) => l.message), ['careful']);

      const follow = start(['logs', runId, '--follow', '--interval', '50']);
      await follow.until('careful');
      await appendLogs(leaseId, [['error', 'it broke']]);
      await follow.until('it broke');
      assert.equal((await t.call('POST', `/v1/leases/${leaseId}/complete`, { key: workerKey, body: { output: {} } })).statusCode, 200);
      assert.equal(await follow.exited, 0, 'ends by itself once the run has ended');
      assert.equal(follow.output().stdout.trim().split('\n').length, 3);
    });

    it('audit list shows what happened, filtered; a viewer is refused', async () => {
      const runs = JSON.parse((await agentd(['audit', 'list', '--json', '--action', 'POST /v1/runs', '--limit', '500'])).stdout).data as { target_id: string; action: string }[];
      assert.equal(runs.length, 4, "the four runs this file created");
      assert.ok(runs.every((r) => r.action === 'POST /v1/runs'));
      const one = runs[0].target_id;
      const byTarget = JSON.parse((await agentd(['audit', 'list', '--json', '--target', `run:${one}`])).stdout).data;
      assert.deepEqual(byTarget.map((r: { target_id: string }) => r.target_id), [one]);
      const table = await agentd(['audit', 'list', '--target', 'lease', '--limit', '5']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^AT\s+ACTOR\s+ROLE\s+ACTION\s+TARGET\s+OUTCOME\s+REQUEST/);
      assert.match(table.stdout, /worker\s+POST \/v1\/leases\/\{lease_id\}\/\w+\s+lease:lse_/);
      const viewer = await agentd(['audit', 'list'], await t.keyFor('viewer'));
      assert.equal(viewer.code, 1);
      assert.match(viewer.stderr, /FORBIDDEN/);
    });
  });
}
