/**
 * `agentd run <llm-agent> --input "..." --follow` end to end against the fake model provider:
 * plain text is the message, the answer is printed as it streams, tool calls and results as short
 * lines, then the final state.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCliHarness, show, type CliHarness } from './helpers/cli-harness.ts';
import { FakeLlm } from './helpers/fake-llm.ts';

let cli: CliHarness;
const fake = new FakeLlm({ apiKey: 'sk-cli' });

before(async () => {
  await fake.start();
  cli = await startCliHarness({ serve: { models: { fake: { provider: 'openai-compatible', base_url: fake.baseUrl, model: 'fake-1', api_key_secret: 'model_key' } }, llm: { pollIntervalMs: 50 } } });
  assert.equal((await cli.agentd(['secrets', 'set', 'model_key', '--value', 'sk-cli'])).code, 0);
  await writeFile(join(cli.workDir, 'chat.json'), JSON.stringify({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'chat' }, spec: { runtime: 'llm', model: 'fake', instructions: 'Be brief.' } }));
  const r = await cli.agentd(['agents', 'deploy', 'chat.json']);
  assert.equal(r.code, 0, show(r));
});

after(async () => {
  // The fake first: the harness's close fails on any socket still open.
  await fake.stop();
  await cli?.close();
});

describe('agentd run on an LLM agent', () => {
  it('--input "text" --follow prints the streamed answer, then the final state', async () => {
    const r = await cli.agentd(['run', 'chat', '--input', 'hi there', '--follow']);
    assert.equal(r.code, 0, show(r));
    assert.ok(r.stdout.split('\n').includes('Hello from fake model: hi there'), show(r));
    assert.ok(!r.stdout.includes('run.llm.step'), 'bookkeeping events are left out');
    assert.match(r.stdout, /\nrun run_\S+ \(chat\/chat\) succeeded/);
  });

  it('--input with JSON is sent as it is; --wait prints the output', async () => {
    const r = await cli.agentd(['run', 'chat/chat', '--input', '{"message":"json please"}', '--wait', '--json']);
    assert.equal(r.code, 0, show(r));
    assert.equal(JSON.parse(r.stdout).output.text, 'Hello from fake model: json please');
  });
});
