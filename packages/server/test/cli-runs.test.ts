/**
 * `agentd run` and `agentd runs …` end to end (see helpers/cli-harness.ts), with a real SDK
 * worker serving hello/greet: waiting, following, listing, cancelling and reading events.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { startCliHarness, show, type CliHarness } from './helpers/cli-harness.ts';

let cli: CliHarness;

before(async () => {
  cli = await startCliHarness();
  await cli.deployAgents();
});

after(async () => {
  await cli?.close();
});

describe('agentd run and runs', () => {
  it('runs hello/greet with --wait --json and prints the succeeded run with its output', async () => {
    cli.startHelloWorker();
    const r = await cli.agentd(['run', 'hello/greet', '--input', '{"name":"Ada"}', '--wait', '--json']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /"status": "succeeded"/);
    const run = JSON.parse(r.stdout);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.output, { greeting: 'Hello, Ada!' });
  });

  it('runs the only endpoint of a bare agent name with --input @file, and from stdin', async () => {
    cli.startHelloWorker();
    await writeFile(join(cli.workDir, 'input.json'), '{"name":"Grace"}');
    const r = await cli.agentd(['run', 'hello', '--input', '@input.json', '--wait']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^run run_\S+ \(hello\/greet\) succeeded in /);
    assert.match(r.stdout, /"greeting": "Hello, Grace!"/);

    const piped = await cli.agentd(['run', 'hello', '--input', '@-', '--wait', '--json'], { stdin: '{"name":"Linus"}' });
    assert.equal(piped.code, 0, show(piped));
    assert.deepEqual(JSON.parse(piped.stdout).output, { greeting: 'Hello, Linus!' });
  });

  it('follows a run: one line per event up to run.succeeded, then the final state', async () => {
    cli.startHelloWorker();
    const r = await cli.agentd(['run', 'hello/greet', '--input', '{"name":"Ada"}', '--follow']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trimEnd().split('\n');
    const events = lines.filter((l) => /^\s*\d+ {2}/.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 2));
    assert.deepEqual(events[0], ['1', 'run.queued']);
    assert.deepEqual(events.at(-1)?.[1], 'run.succeeded');
    assert.deepEqual(events.map(([seq]) => Number(seq)), events.map((_, i) => i + 1), 'seqs are 1, 2, 3, … with no gap');
    assert.ok(lines.some((l) => l.includes('run.log') && l.includes('"message":"greeting Ada"')), 'data is printed compactly');
    assert.match(r.stdout, /\nrun run_\S+ \(hello\/greet\) succeeded/);

    const json = await cli.agentd(['run', 'hello/greet', '--input', '{"name":"Bo"}', '--follow', '--json']);
    assert.equal(json.code, 0, show(json));
    const objects = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const final = objects.pop();
    assert.equal(objects.at(-1).type, 'run.succeeded');
    assert.ok(objects.every((e) => e.run_id === final.id));
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(final.output, { greeting: 'Hello, Bo!' });
  });

  it('creates a run without waiting and prints its id; lists and gets runs', async () => {
    cli.startHelloWorker();
    const created = await cli.agentd(['run', 'hello/greet', '--input', '{"name":"Ada"}', '--priority', '7', '--metadata', '{"team":"docs"}']);
    assert.equal(created.code, 0, show(created));
    const id = created.stdout.trim();
    assert.match(id, /^run_\w+$/);

    const got = await cli.agentd(['runs', 'get', id, '--json']);
    assert.equal(got.code, 0, show(got));
    const run = JSON.parse(got.stdout);
    assert.equal(run.priority, 7);
    assert.deepEqual(run.metadata, { team: 'docs' });
    const text = await cli.agentd(['runs', 'get', id]);
    assert.match(text.stdout, new RegExp(`^id:\\s+${id}\\n`));
    assert.match(text.stdout, /\nagent:\s+hello\/greet \(version 1\)/);

    const table = await cli.agentd(['runs', 'list']);
    assert.equal(table.code, 0, show(table));
    assert.match(table.stdout, /^ID\s+AGENT\s+ENDPOINT\s+STATUS\s+ATTEMPTS\s+CREATED/);
    assert.ok(table.stdout.includes(id));

    const succeeded = await cli.agentd(['runs', 'list', '--agent', 'hello', '--status', 'succeeded,failed', '--all', '--json']);
    assert.equal(succeeded.code, 0, show(succeeded));
    const page = JSON.parse(succeeded.stdout);
    assert.ok(page.data.length >= 4);
    assert.ok(page.data.every((r: { status: string; agent: string }) => r.status === 'succeeded' && r.agent === 'hello'));

    const limited = await cli.agentd(['runs', 'list', '--limit', '1', '--json']);
    assert.equal(JSON.parse(limited.stdout).data.length, 1);
    assert.match(limited.stderr, /^$/, '--json keeps stderr quiet');
  });

  it('names the endpoints when a bare agent name is ambiguous', async () => {
    const r = await cli.agentd(['run', 'idle', '--input', '{}']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /agent idle has 2 endpoints \(first, second\)/);
  });

  it('rejects input that breaks the schema with INPUT_INVALID and the field path', async () => {
    const r = await cli.agentd(['run', 'hello/greet', '--input', '{"name":5}', '--wait']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /^agentd: INPUT_INVALID: /);
    assert.match(r.stderr, /\n {2}input\.name: must be string/);
    assert.equal(r.stdout, '');
  });

  it('cancels a queued run, and says when it had already ended', async () => {
    const created = await cli.agentd(['run', 'idle/first', '--input', '{}']);
    assert.equal(created.code, 0, show(created));
    const id = created.stdout.trim();
    const queued = await cli.agentd(['runs', 'list', '--agent', 'idle', '--status', 'queued', '--json']);
    assert.ok(JSON.parse(queued.stdout).data.some((r: { id: string }) => r.id === id));

    const cancel = await cli.agentd(['runs', 'cancel', id, '--reason', 'not needed']);
    assert.equal(cancel.code, 0, show(cancel));
    assert.equal(cancel.stdout, `cancelled run ${id}\n`);
    const got = await cli.agentd(['runs', 'get', id, '--json']);
    assert.equal(JSON.parse(got.stdout).status, 'cancelled');

    const twice = await cli.agentd(['runs', 'cancel', id]);
    assert.equal(twice.code, 1, show(twice));
    assert.match(twice.stderr, /^agentd: RUN_ALREADY_TERMINAL: /);
    assert.match(twice.stderr, /\n {2}status: cancelled/);

    const events = await cli.agentd(['runs', 'events', id, '--json']);
    const types = JSON.parse(events.stdout).data.map((e: { type: string }) => e.type);
    assert.deepEqual(types, ['run.queued', 'run.cancelled']);
  });

  it('signals a run (--data JSON) and updates a live one by its generation; a stale generation and an ended run exit 1', async () => {
    const created = await cli.agentd(['run', 'idle/first', '--input', '{}']);
    const id = created.stdout.trim();
    const sent = await cli.agentd(['runs', 'signal', id, 'go', '--data', '{"ok":true}', '--json']);
    assert.equal(sent.code, 0, show(sent));
    const signal = JSON.parse(sent.stdout);
    assert.equal(signal.name, 'go');
    assert.deepEqual(signal.payload, { ok: true });
    const plain = await cli.agentd(['runs', 'signal', id, 'go']);
    assert.equal(plain.code, 0, show(plain));
    assert.match(plain.stdout, new RegExp(`^sent signal go \\(sig_\\S+\\) to run ${id}\n$`));

    const get = await cli.agentd(['runs', 'get', id]);
    assert.match(get.stdout, /\ngeneration: +1\n/);
    const updated = await cli.agentd(['runs', 'update', id, '--generation', '1', '--max-attempts', '7', '--priority', '5']);
    assert.equal(updated.code, 0, show(updated));
    assert.equal(updated.stdout, `updated run ${id} (generation 2)\n`);
    const run = JSON.parse((await cli.agentd(['runs', 'get', id, '--json'])).stdout);
    assert.equal(run.max_attempts, 7);
    assert.equal(run.priority, 5);
    const stale = await cli.agentd(['runs', 'update', id, '--generation', '1', '--max-attempts', '8']);
    assert.equal(stale.code, 1, show(stale));
    assert.match(stale.stderr, /^agentd: GENERATION_CONFLICT: /);
    const nothing = await cli.agentd(['runs', 'update', id, '--generation', '2']);
    assert.equal(nothing.code, 2, show(nothing));

    await cli.agentd(['runs', 'cancel', id]);
    const ended = await cli.agentd(['runs', 'signal', id, 'go', '--data', '1']);
    assert.equal(ended.code, 1, show(ended));
    assert.match(ended.stderr, /^agentd: RUN_ALREADY_TERMINAL: /);
  });

  it('exits 1 after waiting on a run that ends cancelled', async () => {
    const created = await cli.agentd(['run', 'idle/second', '--input', '{}']);
    const id = created.stdout.trim();
    const client = new Agentd({ baseURL: cli.server.url, apiKey: cli.adminKey });
    const following = cli.agentd(['runs', 'events', id, '--follow']);
    const waiting = cli.agentd(['run', 'idle/second', '--input', '{}', '--follow', '--json', '--idempotency-key', 'cancel-me']);
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
    cli.startHelloWorker();
    const done = JSON.parse((await cli.agentd(['run', 'hello/greet', '--input', '{"name":"Ev"}', '--wait', '--json'])).stdout);
    const page = await cli.agentd(['runs', 'events', done.id, '--json']);
    assert.equal(page.code, 0, show(page));
    const body = JSON.parse(page.stdout);
    assert.deepEqual(Object.keys(body).sort(), ['data', 'next_cursor']);
    assert.equal(body.data[0].type, 'run.queued');
    assert.equal(body.data.at(-1).type, 'run.succeeded');

    const lines = await cli.agentd(['runs', 'events', done.id]);
    assert.equal(lines.stdout.trimEnd().split('\n').length, body.data.length);
    assert.match(lines.stdout, /^ {3}1 {2}run\.queued /);

    const after = await cli.agentd(['runs', 'events', done.id, '--after', '1', '--json']);
    assert.equal(JSON.parse(after.stdout).data[0].seq, 2);

    const follow = await cli.agentd(['runs', 'events', done.id, '--follow', '--json']);
    assert.equal(follow.code, 0, show(follow));
    const streamed = follow.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(streamed, body.data);

    const missing = await cli.agentd(['runs', 'events', 'run_nope', '--follow']);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /^agentd: RUN_NOT_FOUND: /);
  });
  it('runs tree prints the tree a run belongs to, indented, with each status and call key', async () => {
    const client = new Agentd({ baseURL: cli.server.url, apiKey: cli.adminKey });
    const agent = (name: string) => ({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name }, spec: { runtime: 'worker', endpoints: { work: {} } } });
    for (const name of ['tree-top', 'tree-mid', 'tree-leaf']) await client.agents.deploy(agent(name) as never);
    const root = await client.runs.create({ agent: 'tree-top', endpoint: 'work', input: {} });
    const [top] = (await client.worker.lease({ agent: 'tree-top', wait_ms: 0 })).tasks;
    const mid = await client.leases.call(top.lease_id, { agent: 'tree-mid', endpoint: 'work', input: {}, key: 'ask-mid' });
    const [midTask] = (await client.worker.lease({ agent: 'tree-mid', wait_ms: 0 })).tasks;
    const leaf = await client.leases.call(midTask.lease_id, { agent: 'tree-leaf', endpoint: 'work', input: {}, key: 'ask-leaf' });
    const r = await cli.agentd(['runs', 'tree', leaf.id]);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines, [
      `- ${root.id} tree-top/work waiting (child)`,
      `  - ${mid.id} tree-mid/work waiting (child) [ask-mid]`,
      `    * ${leaf.id} tree-leaf/work queued [ask-leaf]`,
    ]);
    const json = await cli.agentd(['runs', 'tree', root.id, '--json']);
    assert.equal(json.code, 0, show(json));
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.root, root.id);
    assert.equal(parsed.data.length, 3);
    await client.runs.cancel(root.id);
  });
});
