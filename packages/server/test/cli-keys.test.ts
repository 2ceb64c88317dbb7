/**
 * `agentd keys …` end to end (see helpers/cli-harness.ts): create, list and revoke keys, and
 * worker keys scoped to agents.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCliHarness, show, type CliHarness } from './helpers/cli-harness.ts';

let cli: CliHarness;

before(async () => {
  cli = await startCliHarness();
  await cli.deployAgents();
});

after(async () => {
  await cli?.close();
});

describe('agentd keys', () => {
  it('creates, lists and revokes keys; a revoked key gets UNAUTHORIZED and is never printed', async () => {
    const created = await cli.agentd(['keys', 'create', '--role', 'viewer', '--name', 'ci']);
    assert.equal(created.code, 0, show(created));
    const key = created.stdout.trim();
    assert.match(key, /^agd_\S+$/);
    assert.match(created.stderr, /will not be shown again/);

    const json = await cli.agentd(['keys', 'create', '--role', 'worker', '--agents', 'hello', '--json']);
    const workerKey = JSON.parse(json.stdout);
    assert.equal(workerKey.role, 'worker');
    assert.deepEqual(workerKey.agents, ['hello']);
    assert.match(workerKey.key, /^agd_/);

    const list = await cli.agentd(['keys', 'list', '--json']);
    const keys = JSON.parse(list.stdout).data as { id: string; name: string | null; role: string }[];
    const viewer = keys.find((k) => k.name === 'ci' && k.role === 'viewer');
    assert.ok(viewer, list.stdout);
    assert.ok(!list.stdout.includes(key), 'keys list never shows a key');
    const table = await cli.agentd(['keys', 'list']);
    assert.match(table.stdout, /^ID\s+NAME\s+ROLE\s+AGENTS\s+PREFIX\s+CREATED\s+EXPIRES/);

    const asViewer = await cli.agentd(['runs', 'list', '--api-key', key]);
    assert.equal(asViewer.code, 0, show(asViewer));
    const forbidden = await cli.agentd(['keys', 'list'], { env: { AGENTD_API_KEY: key } });
    assert.equal(forbidden.code, 1, show(forbidden));
    assert.match(forbidden.stderr, /^agentd: FORBIDDEN: /);

    const revoke = await cli.agentd(['keys', 'revoke', viewer.id]);
    assert.equal(revoke.code, 0, show(revoke));
    assert.match(revoke.stdout, new RegExp(`^revoked key ${viewer.id} \\(ci\\)`));

    const refused = await cli.agentd(['runs', 'list', '--api-key', key]);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /^agentd: UNAUTHORIZED: /);
    assert.ok(!refused.stderr.includes(key) && !refused.stdout.includes(key), 'the key is never printed');
  });

  it('keys create --role worker --agents a,b [--expires-at]: the key leases those agents only; no --agents is KEY_INVALID', async () => {
    const missing = await cli.agentd(['keys', 'create', '--role', 'worker', '--name', 'no-list']);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /^agentd: KEY_INVALID: /);
    assert.match(missing.stderr, /body\.agents/, 'the field is named');
    assert.equal(missing.stdout, '', 'no key was made, none printed');

    const made = await cli.agentd(['keys', 'create', '--role', 'worker', '--name', 'two-agents', '--agents', 'hello,idle', '--expires-at', '30d']);
    assert.equal(made.code, 0, show(made));
    const key = made.stdout.trim();
    assert.match(key, /^agd_\S+$/);
    assert.match(made.stderr, /for agents hello,idle, expiring /);
    const lease = (agent: string) =>
      fetch(`${cli.server.url}/v1/worker/lease`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ agent, wait_ms: 0 }) });
    // Leasing `hello` may take a run another test queued; it is released at once so nothing waits on it.
    const hello = await lease('hello');
    assert.equal(hello.status, 200);
    for (const task of ((await hello.json()) as { tasks: { lease_id: string }[] }).tasks) {
      await fetch(`${cli.server.url}/v1/leases/${task.lease_id}/release`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    }
    assert.equal((await lease('idle')).status, 200);
    const other = await lease('nobody');
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');

    const list = JSON.parse((await cli.agentd(['keys', 'list', '--json'])).stdout).data as { name: string | null; agents: string[] | null; expires_at: string | null }[];
    const row = list.find((k) => k.name === 'two-agents');
    assert.deepEqual(row?.agents, ['hello', 'idle']);
    const days = (Date.parse(row!.expires_at!) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in 30 days, got ${row?.expires_at}`);
    const table = (await cli.agentd(['keys', 'list'])).stdout;
    assert.match(table.split('\n').find((l) => l.includes('two-agents')) ?? '', /\bworker\s+hello,idle\s/);

    const star = await cli.agentd(['keys', 'create', '--role', 'worker', '--agents', '*']);
    assert.equal(star.code, 0, show(star));
    assert.match(star.stderr, /receives no secrets/);
    const badExpiry = await cli.agentd(['keys', 'create', '--role', 'viewer', '--expires-at', 'soon']);
    assert.equal(badExpiry.code, 2, show(badExpiry));
    const notWorker = await cli.agentd(['keys', 'create', '--role', 'viewer', '--agents', 'hello']);
    assert.equal(notWorker.code, 1, show(notWorker));
    assert.match(notWorker.stderr, /^agentd: KEY_INVALID: /);
  });
});
