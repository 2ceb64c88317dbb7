/**
 * What the client-command tests share (cli-*.test.ts): a real server in this process, the real
 * `agentd` binary as a child process talking to it over a socket, and (for runs that must
 * finish) a real SDK worker serving hello/greet. Each file starts its own.
 */
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { silentLogger, Worker } from '@agentd/sdk/worker';
import { resolveServeConfig, type ServeConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
const BIN = join(ROOT, 'packages/server/bin/agentd.js');
export const HELLO_YAML = join(ROOT, 'examples/hello/agent.yaml');

/** An agent no worker serves: its runs stay queued, and its two endpoints make a bare name ambiguous. Written to `idle.json` in the working directory. */
export const IDLE_MANIFEST = {
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

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  server: RunningServer;
  dataDir: string;
  /** The children's working directory (relative paths in arguments resolve here). */
  workDir: string;
  adminKey: string;
  /** Runs `agentd <args>` as the admin; async because the server it talks to lives in this very process. */
  agentd(args: string[], options?: { env?: Record<string, string | undefined>; stdin?: string }): Promise<CliResult>;
  /** Deploys examples/hello and idle.json through the CLI. */
  deployAgents(): Promise<void>;
  /** Starts the hello/greet worker once; later calls do nothing. */
  startHelloWorker(): void;
  /** Kills what is left, stops worker and server, removes the directories, and fails on leaked handles. */
  close(): Promise<void>;
}

/** For failures, the whole story in the assertion message. */
export function show(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** The environment of a child: this one's without any AGENTD_*, so only what a test sets counts. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** A port nothing listens on: bind one, then let it go. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Children, sockets, servers and timers the file started must all be gone (pipes are not checked: the test runner's own stdio is one). */
async function assertNoLeakedHandles(): Promise<void> {
  const leaky = () => process.getActiveResourcesInfo().filter((r) => /^(Timeout|TCPSocketWrap|TCPServerWrap|TCPWrap|ProcessWrap)$/.test(r));
  // Sockets closed by the peer take a few turns of the event loop to go.
  for (let i = 0; i < 100 && leaky().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(leaky(), [], 'leaked handles');
}

/** `serve`: settings over the defaults (model aliases, …). */
export async function startCliHarness(opts: { serve?: Partial<ServeConfig> } = {}): Promise<CliHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'agentd-cli-data-'));
  const workDir = await mkdtemp(join(tmpdir(), 'agentd-cli-work-'));
  const server = await startServer({ ...resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1' }), ...opts.serve }, () => {});
  const adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  await writeFile(join(workDir, 'idle.json'), JSON.stringify(IDLE_MANIFEST));
  const children = new Set<ChildProcess>();
  let worker: Worker | undefined;
  let workerRunning: Promise<void> | undefined;

  const agentd: CliHarness['agentd'] = (args, options = {}) => {
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
  };

  return {
    server,
    dataDir,
    workDir,
    adminKey,
    agentd,
    async deployAgents() {
      for (const manifest of [HELLO_YAML, 'idle.json']) {
        const r = await agentd(['agents', 'deploy', manifest]);
        assert.equal(r.code, 0, show(r));
      }
    },
    startHelloWorker() {
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
    },
    async close() {
      for (const child of children) child.kill('SIGKILL');
      await worker?.stop();
      await workerRunning;
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
      await rm(workDir, { recursive: true, force: true });
      await assertNoLeakedHandles();
    },
  };
}
