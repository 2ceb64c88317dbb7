/**
 * `agentd mcp-servers …` and `client.mcpServers` as a person and a program use them: a real server
 * (startServer, SQLite) whose configuration allows loopback (AGENTD_EGRESS_ALLOW), a real MCP
 * server on loopback, the real binary as a child process, the SDK over HTTP. The changed-tools
 * flow runs through the tool runners of the server's engine, as an LLM agent's loop would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agentd, ConflictError } from '@agentd/sdk';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { DEFAULT_TENANT } from '../src/store/store.ts';
import { assertNoLeaks } from './helpers/leak-check.ts';
import { startMcpTestServer, type McpTestServer } from './helpers/mcp-test-server.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/server/bin/agentd.js');
const TOKEN = 'cli-mcp-token-93d1f0a7';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let dataDir: string;
let adminKey: string;
let client: Agentd;
let mcp: McpTestServer;
const children = new Set<ChildProcess>();

function agentd(args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
  Object.assign(env, { AGENTD_URL: server.url, AGENTD_API_KEY: adminKey });
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

before(async () => {
  mcp = await startMcpTestServer();
  dataDir = await mkdtemp(join(tmpdir(), 'agentd-mcp-cli-'));
  server = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1', AGENTD_EGRESS_ALLOW: '127.0.0.1' }), () => {});
  adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  client = new Agentd({ baseURL: server.url, apiKey: adminKey });
  await client.secrets.create({ name: 'mcp_token', value: TOKEN });
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.close();
  await mcp?.close();
  await rm(dataDir, { recursive: true, force: true });
  await assertNoLeaks();
});

describe('agentd mcp-servers and client.mcpServers', () => {
  it('create, list, get, approve after a change, delete', async () => {
    const created = await ok(['mcp-servers', 'create', 'tools', mcp.url, '--auth-secret', 'mcp_token', '--description', 'from the CLI']);
    assert.match(created.stdout, /registered MCP server tools → .*approved 5 tools/);
    assert.match(created.stdout, /echo: Echoes its text\./);
    assert.ok(mcp.state.requests.every((h) => h.authorization === `Bearer ${TOKEN}`));
    const list = await ok(['mcp-servers', 'list']);
    assert.match(list.stdout, /tools\s+http:\/\/127\.0\.0\.1:\d+\/mcp\s+active\s+5\s+mcp_token/);
    for (const r of [created, list, await ok(['mcp-servers', 'get', 'tools', '--json'])]) assert.ok(!r.stdout.includes(TOKEN));

    const tenantId = DEFAULT_TENANT;
    mcp.state.echoDescription = 'Echoes its text, and more.';
    const runners = await server.engine.tools.mcp({ tenantId, serverName: 'tools' });
    const echo = runners.find((r) => r.spec.name === 'tools_echo')!;
    const out = await echo.call({ tenantId, runId: 'run_x', agentName: 'a', toolCallId: 'c1', args: { text: 'x' }, signal: new AbortController().signal, secret: async () => TOKEN });
    assert.equal(out.ok ? 'ok' : out.error.code, 'MCP_SERVER_DISABLED');

    const get = await ok(['mcp-servers', 'get', 'tools']);
    assert.match(get.stdout, /status:\s+disabled/);
    assert.match(get.stdout, /changed: echo/);
    assert.match(get.stdout, /Echoes its text, and more\./);
    const s = await client.mcpServers.retrieve('tools');
    await assert.rejects(client.mcpServers.approve('tools', { tools_hash: s.tools_hash }), (e) => e instanceof ConflictError && e.code === 'MCP_TOOLS_CHANGED');
    const approved = await ok(['mcp-servers', 'approve', 'tools', '--tools-hash', s.pending_tools_hash!]);
    assert.match(approved.stdout, /approved 5 tools of tools .* status active/);
    assert.equal((await client.mcpServers.retrieve('tools')).status, 'active');
    assert.deepEqual((await client.mcpServers.list()).data.map((x) => x.name), ['tools']);

    assert.match((await ok(['mcp-servers', 'delete', 'tools'])).stdout, /deleted MCP server tools/);
    const gone = await agentd(['mcp-servers', 'get', 'tools']);
    assert.equal(gone.code, 1, show(gone));
    assert.match(gone.stderr, /MCP_SERVER_NOT_FOUND/);
  });

  it('reports a usage error and an egress refusal clearly', async () => {
    const usage = await agentd(['mcp-servers', 'create', 'x', mcp.url, '--auth-header', 'x-api-key']);
    assert.equal(usage.code, 2, show(usage));
    assert.match(usage.stderr, /--auth-header needs --auth-secret/);
    const refused = await agentd(['mcp-servers', 'create', 'meta', 'http://169.254.169.254/mcp']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /EGRESS_REFUSED/);
  });
});
