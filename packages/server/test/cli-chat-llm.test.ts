/**
 * `agentd chat <llm-agent>` driven through a pseudo-terminal (util-linux `script`) against the
 * fake model provider (the real OpenAI wire protocol): a typed line is the user's message, the
 * answer streams in; the next message's model call carries the earlier turn; a gated tool call
 * (the refund agent's endpoint, `approval: always`) is approved inline with `y`, runs as a child
 * run served by a real worker, and the model's answer from its result is the reply.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { silentLogger, Worker } from '@agentd/sdk/worker';
import { resolveServeConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { FakeLlm } from './helpers/fake-llm.ts';
import { HAS_SCRIPT, Terminal } from './helpers/pty-terminal.ts';

const BIN = resolve(import.meta.dirname, '../bin/agentd.js');
const KEY = 'sk-chat-llm';

const REFUND = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'refund' },
  spec: { runtime: 'worker', endpoints: { issue: { input: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] }, timeout: '60s', retry: { max_attempts: 1 } } } },
};
const ASSISTANT = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'assistant' },
  spec: { runtime: 'llm', model: 'fake', instructions: 'Be brief.', tools: [{ agent: 'refund', endpoint: 'issue', approval: 'always' }] },
};

describe('agentd chat with an LLM agent in a pseudo-terminal', { skip: HAS_SCRIPT ? false : 'util-linux script is not installed' }, () => {
  const fake = new FakeLlm({ apiKey: KEY });
  let server: RunningServer;
  let dataDir: string;
  let worker: Worker;
  let running: Promise<void>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    await fake.start();
    dataDir = await mkdtemp(join(tmpdir(), 'agentd-chat-llm-'));
    const config = resolveServeConfig({ port: '0', host: '127.0.0.1', dataDir, logLevel: 'silent' }, { AGENTD_CHECK_TENANT_SCOPE: '1' });
    server = await startServer({ ...config, models: { fake: { provider: 'openai-compatible', base_url: fake.baseUrl, model: 'fake-1', api_key_secret: 'model_key' } }, llm: { ...config.llm, pollIntervalMs: 50 } }, () => {});
    const adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', AGENTD_URL: server.url, AGENTD_API_KEY: adminKey };
    const client = new Agentd({ baseURL: server.url, apiKey: adminKey });
    await client.secrets.create({ name: 'model_key', value: KEY });
    await client.agents.deploy(REFUND);
    await client.agents.deploy(ASSISTANT);
    worker = new Worker({ client, agent: 'refund', handleSignals: false, logger: silentLogger, pollWaitMs: 500, endpoints: { issue: async (input: { amount: number }) => ({ refunded: input.amount }) } });
    running = worker.run();
  });
  after(async () => {
    await worker?.stop();
    await running;
    await fake.stop();
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a typed message streams the model\'s answer; the next carries the history; a gated tool call is approved inline', async () => {
    const term = new Terminal(BIN, ['chat', 'assistant'], env);
    try {
      let at = await term.waitFor(/session ses_\w+ with assistant\/chat/);
      at = await term.waitFor(/you> /, at);
      term.type('hi, I am Ada\r');
      at = await term.waitFor(/agent> Hello from fake model: hi, I am Ada\r?\n/, at);
      at = await term.waitFor(/you> /, at);
      const from = fake.chatRequests().length;
      term.type('please refund my order\r');
      at = await term.waitFor(/⚙ refund_issue\(\{"amount":42\}\)/, at);
      at = await term.waitFor(/\[y\/n\] /, at);
      term.type('y\r');
      at = await term.waitFor(/✓ approved/, at);
      at = await term.waitFor(/← refund_issue: \{"refunded":42\}/, at);
      at = await term.waitFor(/agent> Tool result: \{"refunded":42\}/, at);
      at = await term.waitFor(/you> /, at);
      const [ask] = fake.chatRequests().slice(from);
      const turns = (ask.body.messages as { role: string; content: unknown }[]).filter((m) => m.role !== 'system').map((m) => [m.role, m.content]);
      assert.deepEqual(turns, [['user', 'hi, I am Ada'], ['assistant', 'Hello from fake model: hi, I am Ada'], ['user', 'please refund my order']], 'the model got the earlier turn');
      term.type('/history\r');
      at = await term.waitFor(/4 assistant\s+\{"text":"Tool result: /, at);
      assert.match(term.output, /1 user\s+hi, I am Ada/);
      assert.equal(term.output.match(/agent> Hello from fake model/g)?.length, 1, 'the streamed answer is not printed again');
      assert.equal(term.output.match(/agent> Tool result/g)?.length, 1);
      term.type('/exit\r');
      await term.waitFor(/left session ses_\w+; come back with: agentd chat assistant --session ses_\w+/, at);
      assert.equal(await term.exited, 0, term.output);
    } finally {
      term.kill();
    }
  });
});
