/**
 * The `agentd` program as a whole, end to end (see helpers/cli-harness.ts): help, command lines
 * refused before anything is sent, where the API key comes from, an unreachable server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort, startCliHarness, show, type CliHarness } from './helpers/cli-harness.ts';

let cli: CliHarness;

before(async () => {
  cli = await startCliHarness();
  await cli.deployAgents();
});

after(async () => {
  await cli?.close();
});

describe('agentd program', () => {
  it('has help for the program and for each command and option', async () => {
    const [top, run, list] = await Promise.all([cli.agentd(['--help']), cli.agentd(['run', '--help']), cli.agentd(['runs', 'list', '--help'])]);
    assert.equal(top.code, 0, show(top));
    for (const command of ['agents', 'run', 'runs', 'keys']) assert.match(top.stdout, new RegExp(`\\n  ${command} `));
    assert.equal(run.code, 0, show(run));
    for (const option of ['--input', '--wait', '--follow', '--json', '--idempotency-key', '--priority', '--metadata', '--url', '--api-key', '--data-dir']) {
      assert.ok(run.stdout.includes(option), `run --help lacks ${option}`);
    }
    assert.match(list.stdout, /--status/);
    assert.match(list.stdout, /--api-key/, 'a subcommand shows its group\'s connection options');
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
    const results = await Promise.all(cases.map(([args]) => cli.agentd(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i];
      assert.equal(r.code, 2, `${args.join(' ')}\n${show(r)}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /^agentd: /, args.join(' '));
    }
  });

  it('falls back to <data-dir>/admin.key when no key is given', async () => {
    const flag = await cli.agentd(['agents', 'list', '--data-dir', cli.dataDir], { env: { AGENTD_API_KEY: undefined } });
    assert.equal(flag.code, 0, show(flag));
    assert.match(flag.stdout, /\nhello\s/);
    const env = await cli.agentd(['runs', 'list', '--limit', '1'], { env: { AGENTD_API_KEY: undefined, AGENTD_DATA_DIR: cli.dataDir } });
    assert.equal(env.code, 0, show(env));

    // No flag, no env, and ./.agentd (in the working directory) holds no key: say where to put one.
    const none = await cli.agentd(['agents', 'list'], { env: { AGENTD_API_KEY: undefined } });
    assert.equal(none.code, 1, show(none));
    assert.match(none.stderr, /^agentd: UNAUTHORIZED: /);
    assert.match(none.stderr, /hint: no API key given: .*admin\.key/);
  });

  it('says which URL could not be reached, without the key', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli.agentd(['agents', 'list', '--url', url]);
    assert.equal(r.code, 1, show(r));
    assert.ok(r.stderr.includes(`cannot reach the agentd server at ${url}`), r.stderr);
    assert.ok(!r.stderr.includes(cli.adminKey));
  });
});
