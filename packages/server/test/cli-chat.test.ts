/**
 * `agentd chat` driven through a pseudo-terminal (util-linux `script`), as a person uses it: the
 * real binary talks to a real server in this process; a message is typed, the reply streams in
 * (run.output.delta) and the run's approval is answered inline with `y`; `/history` shows the
 * turn and `/exit` leaves the session active. Then `agentd sessions list|get|end`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { silentLogger, Worker } from '@agentd/sdk/worker';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { HAS_SCRIPT, Terminal } from './helpers/pty-terminal.ts';

const BIN = resolve(import.meta.dirname, '../bin/agentd.js');

const HELPER = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'helper' },
  spec: {
    runtime: 'worker',
    endpoints: {
      ask: {
        input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'], additionalProperties: false },
        output: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
        timeout: '60s',
      },
    },
  },
};

describe('agentd chat in a pseudo-terminal', { skip: HAS_SCRIPT ? false : 'util-linux script is not installed' }, () => {
  let server: RunningServer;
  let dataDir: string;
  let adminKey: string;
  let worker: Worker;
  let running: Promise<void>;
  let env: NodeJS.ProcessEnv;
  // Asynchronous: the server answering the CLI lives in this very process.
  const cli = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => done({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'agentd-chat-'));
    server = await startServer(resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1' }), () => {});
    adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', AGENTD_URL: server.url, AGENTD_API_KEY: adminKey };
    const client = new Agentd({ baseURL: server.url, apiKey: adminKey });
    await client.agents.deploy(HELPER);
    worker = new Worker({
      client,
      agent: 'helper',
      handleSignals: false,
      logger: silentLogger,
      pollWaitMs: 500,
      endpoints: {
        ask: async (input: { question: string }, ctx) => {
          await ctx.outputDelta('Thinking about ');
          await ctx.outputDelta(`"${input.question}"`);
          const { approved } = await ctx.approval({ prompt: 'Send the answer?' });
          await ctx.outputDelta(approved ? ' — sent' : ' — held back');
          return { answer: `Thinking about "${input.question}"${approved ? ' — sent' : ' — held back'}` };
        },
      },
    });
    running = worker.run();
  });
  after(async () => {
    await worker?.stop();
    await running;
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a typed message streams its reply, the approval is answered inline, and the session stays for later', async () => {
    const term = new Terminal(BIN, ['chat', 'helper'], env);
    try {
      let at = await term.waitFor(/session (ses_\w+) with helper\/ask/);
      const sessionId = /session (ses_\w+)/.exec(term.output)![1];
      at = await term.waitFor(/you> /, at);
      term.type('what is agentd?\r');
      at = await term.waitFor(/agent> Thinking about "what is agentd\?"/, at);
      at = await term.waitFor(/\? Send the answer\? \[y\/n\] /, at);
      term.type('y\r');
      at = await term.waitFor(/✓ approved/, at);
      at = await term.waitFor(/— sent/, at);
      at = await term.waitFor(/you> /, at);
      term.type('/history\r');
      at = await term.waitFor(/2 assistant\s+\{"answer":"Thinking about \\"what is agentd\?\\" — sent"\}/, at);
      term.type('/exit\r');
      await term.waitFor(/left session ses_\w+; come back with: agentd chat helper --session ses_\w+/, at);
      assert.equal(await term.exited, 0, term.output);

      const list = await cli(['sessions', 'list', '--agent', 'helper']);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`${sessionId}\\s+helper/ask\\s+active\\s+2`));
      const got = await cli(['sessions', 'get', sessionId, '--json']);
      const detail = JSON.parse(got.stdout);
      assert.deepEqual(detail.messages.map((m: { role: string; status: string }) => [m.role, m.status]), [['user', 'succeeded'], ['assistant', 'complete']]);
      assert.deepEqual(detail.messages[0].content, { question: 'what is agentd?' });
      const ended = await cli(['sessions', 'end', sessionId]);
      assert.equal(ended.status, 0, ended.stderr);
      assert.match(ended.stdout, /ended/);
      const again = await cli(['chat', 'helper', '--session', sessionId]);
      assert.notEqual(again.status, 0);
      assert.match(again.stderr, /session ses_\w+ ended \(ended by request\); start a new one with: agentd chat helper/);
    } finally {
      term.kill();
    }
  });

  it('a rejected approval is answered with n; --help shows the usage', async () => {
    const help = await cli(['chat', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: agentd chat \[options\] <agent>/);
    const term = new Terminal(BIN, ['chat', 'helper'], env);
    try {
      let at = await term.waitFor(/you> /);
      term.type('{"question":"ship it?"}\r');
      at = await term.waitFor(/\[y\/n\] /, at);
      term.type('n\r');
      at = await term.waitFor(/✗ rejected/, at);
      at = await term.waitFor(/— held back/, at);
      await term.waitFor(/you> /, at);
      term.type('\x04'); // Ctrl-D leaves
      assert.equal(await term.exited, 0, term.output);
    } finally {
      term.kill();
    }
  });
});
