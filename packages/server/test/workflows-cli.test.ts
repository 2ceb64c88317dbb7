/**
 * `agentd workflows …` and `agentd validate` on workflow files, as a person uses them: the real
 * binary as a child process against a real server in this process (SQLite), and offline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { assertNoLeaks } from './helpers/leak-check.ts';
import { PIPELINE_AGENTS, PIPELINE_YAML, pipelineWorkflow } from './helpers/workflow-fixtures.ts';

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
const children = new Set<ChildProcess>();

function agentd(args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
  Object.assign(env, { AGENTD_URL: server.url, AGENTD_API_KEY: adminKey });
  return new Promise((done) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: workDir, env, timeout: 60_000 }, (err, stdout, stderr) => {
      children.delete(child);
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
    children.add(child);
    child.stdin?.end('');
  });
}

const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

async function ok(args: string[]): Promise<CliResult> {
  const r = await agentd(args);
  assert.equal(r.code, 0, show(r));
  return r;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'agentd-workflows-cli-'));
  workDir = await mkdtemp(join(tmpdir(), 'agentd-workflows-cli-work-'));
  server = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1' }), () => {});
  adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  await writeFile(join(workDir, 'agents.json'), JSON.stringify(PIPELINE_AGENTS[0]));
  await writeFile(join(workDir, 'pipeline.yaml'), PIPELINE_YAML);
  const changed = pipelineWorkflow();
  changed.spec.steps[3].wait.duration = '30s';
  await writeFile(join(workDir, 'pipeline-v2.json'), JSON.stringify(changed));
  const cyclic = pipelineWorkflow();
  cyclic.spec.steps[0].needs = ['review'];
  cyclic.spec.steps[1].input.notes = '{% steps.nope.output %}';
  await writeFile(join(workDir, 'cyclic.json'), JSON.stringify(cyclic));
  await writeFile(join(workDir, 'broken.yaml'), 'kind: Workflow\nspec: [unclosed\n');
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
  await assertNoLeaks();
});

describe('agentd validate on workflow files (offline)', () => {
  it('accepts a valid definition without a server and names its steps', async () => {
    const r = await ok(['validate', 'pipeline.yaml']);
    assert.equal(r.stdout.trim(), 'pipeline.yaml: ok — workflow pipeline, steps research, draft, review, hold, go, publish');
    const json = JSON.parse((await ok(['validate', 'pipeline-v2.json', '--json'])).stdout);
    assert.deepEqual(json, { ok: true, kind: 'Workflow', name: 'pipeline', steps: ['research', 'draft', 'review', 'hold', 'go', 'publish'] });
  });

  it('names each problem of a bad definition by its path and exits 1', async () => {
    const r = await agentd(['validate', 'cyclic.json']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /^cyclic\.json: spec\.steps\[1\]\.needs\[0\]: closes a cycle: research → review → draft → research/m);
    const json = JSON.parse((await agentd(['validate', 'cyclic.json', '--json'])).stdout);
    assert.equal(json.ok, false);
    assert.ok(json.problems.some((p: { path: string }) => p.path === 'spec.steps[1].needs[0]'));
    const broken = await agentd(['validate', 'broken.yaml']);
    assert.equal(broken.code, 1, show(broken));
    assert.match(broken.stdout, /broken\.yaml: \(root\): cannot parse/);
  });

  it('still validates agent manifests', async () => {
    const r = await ok(['validate', 'agents.json']);
    assert.equal(r.stdout.trim(), 'agents.json: ok — agent researcher, endpoints research');
  });
});

describe('agentd workflows', () => {
  it('refuses a definition whose agents are not deployed, naming each path', async () => {
    const r = await agentd(['workflows', 'deploy', 'pipeline.yaml']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /WORKFLOW_INVALID/);
    assert.match(r.stderr, /spec\.steps\[0\]\.agent: no agent named researcher/);
  });

  it('deploys from YAML and JSON, lists, gets, shows versions and deletes', async () => {
    for (const m of PIPELINE_AGENTS) {
      await writeFile(join(workDir, `${m.metadata.name}.json`), JSON.stringify(m));
      await ok(['agents', 'deploy', `${m.metadata.name}.json`]);
    }
    assert.equal((await ok(['workflows', 'deploy', 'pipeline.yaml'])).stdout.trim(), 'deployed workflow pipeline version 1 (steps: research, draft, review, hold, go, publish)');
    assert.equal(JSON.parse((await ok(['workflows', 'deploy', 'pipeline-v2.json', '--json'])).stdout).version, 2);

    const table = (await ok(['workflows', 'list'])).stdout.split('\n');
    assert.match(table[0], /^NAME\s+VERSION\s+STEPS\s+UPDATED/);
    assert.match(table[1], /^pipeline\s+2\s+6\s/);
    assert.equal(JSON.parse((await ok(['workflows', 'list', '--json'])).stdout).data[0].name, 'pipeline');

    const shown = (await ok(['workflows', 'get', 'pipeline'])).stdout;
    assert.match(shown, /^version:\s+2$/m);
    assert.match(shown, /\n {2}research {2}researcher\/research\n/);
    assert.match(shown, /\n {2}review {4}approval {2}\(needs draft\)\n/);
    assert.match(shown, /\n {2}publish {3}publisher\/publish {2}\(needs hold, go\)/);
    assert.equal(JSON.parse((await ok(['workflows', 'get', 'pipeline', '--json'])).stdout).definition.kind, 'Workflow');

    const versions = (await ok(['workflows', 'versions', 'pipeline'])).stdout.split('\n');
    assert.match(versions[1], /^2\s/);
    assert.match(versions[2], /^1\s/);

    const refused = await agentd(['workflows', 'start', 'pipeline', '--input', '{"topic":7}']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /INPUT_INVALID/);
    const flow = pipelineWorkflow('cli-flow');
    flow.spec.steps = [flow.spec.steps[0]];
    delete flow.spec.output;
    await writeFile(join(workDir, 'cli-flow.json'), JSON.stringify(flow));
    await ok(['workflows', 'deploy', 'cli-flow.json']);
    const id = (await ok(['workflows', 'start', 'cli-flow', '--input', '{"topic":"cli"}'])).stdout.trim();
    assert.match(id, /^run_/);
    const started = JSON.parse((await ok(['runs', 'get', id, '--json'])).stdout);
    assert.equal(started.kind, 'workflow');
    assert.equal(started.agent, 'cli-flow');
    const notYet = await agentd(['runs', 'retry', id]);
    assert.equal(notYet.code, 1, show(notYet));
    assert.match(notYet.stderr, /RUN_NOT_RETRYABLE/);
    assert.equal((await ok(['runs', 'cancel', id])).code, 0);
    const retried = (await ok(['runs', 'retry', id])).stdout.trim();
    assert.match(retried, /^run_/);
    assert.notEqual(retried, id);
    const again = JSON.parse((await ok(['runs', 'get', retried, '--json'])).stdout);
    assert.equal(again.agent, 'cli-flow');
    assert.equal(again.status, 'running', 'the cancelled step runs again');
    assert.equal((await ok(['workflows', 'delete', 'pipeline'])).stdout.trim(), 'deleted workflow pipeline');
    const gone = await agentd(['workflows', 'get', 'pipeline']);
    assert.equal(gone.code, 1, show(gone));
    assert.match(gone.stderr, /WORKFLOW_NOT_FOUND/);
  });
});
