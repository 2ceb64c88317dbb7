/**
 * `agentd agents …` end to end (see helpers/cli-harness.ts): deploy from YAML and JSON, list,
 * get, versions, errors with codes and field paths, disable and enable an endpoint.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HELLO_YAML, startCliHarness, show, type CliHarness } from './helpers/cli-harness.ts';

let cli: CliHarness;

before(async () => {
  cli = await startCliHarness();
});

after(async () => {
  await cli?.close();
});

describe('agentd agents', () => {
  it('deploys agents from YAML and JSON, then lists and shows them', async () => {
    const yaml = await cli.agentd(['agents', 'deploy', HELLO_YAML]);
    assert.equal(yaml.code, 0, show(yaml));
    assert.match(yaml.stdout, /deployed hello version 1/);

    const json = await cli.agentd(['agents', 'deploy', 'idle.json', '--json']);
    assert.equal(json.code, 0, show(json));
    const idle = JSON.parse(json.stdout);
    assert.equal(idle.name, 'idle');
    assert.equal(idle.version, 1);

    const list = await cli.agentd(['agents', 'list']);
    assert.equal(list.code, 0, show(list));
    assert.match(list.stdout, /^NAME\s+VERSION\s+ENDPOINTS/);
    assert.match(list.stdout, /\nhello\s+1\s+greet/);
    assert.match(list.stdout, /\nidle\s+1\s+first, second/);

    const get = await cli.agentd(['agents', 'get', 'hello', '--json']);
    assert.equal(get.code, 0, show(get));
    assert.equal(JSON.parse(get.stdout).endpoints.greet.enabled, true);
    const text = await cli.agentd(['agents', 'get', 'hello']);
    assert.match(text.stdout, /greet\s+enabled, timeout 30s, up to 3 attempts/);

    const again = await cli.agentd(['agents', 'deploy', HELLO_YAML]);
    assert.match(again.stdout, /deployed hello version 2/);
    const versions = await cli.agentd(['agents', 'versions', 'hello', '--json']);
    assert.deepEqual(JSON.parse(versions.stdout).data.map((v: { version: number }) => v.version), [2, 1]);
  });

  it('reports a missing agent and an invalid manifest with the code and field paths', async () => {
    const missing = await cli.agentd(['agents', 'get', 'nobody']);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /^agentd: AGENT_NOT_FOUND: /);

    await writeFile(join(cli.workDir, 'bad.yaml'), 'apiVersion: agentd.dev/v1\nkind: Agent\nmetadata: { name: "Bad Name" }\nspec: { runtime: worker, endpoints: {} }\n');
    const bad = await cli.agentd(['agents', 'deploy', 'bad.yaml']);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /^agentd: MANIFEST_INVALID: /);
    assert.match(bad.stderr, /\n {2}metadata\.name: /);

    const unreadable = await cli.agentd(['agents', 'deploy', 'no-such-file.yaml']);
    assert.equal(unreadable.code, 2, show(unreadable));
    assert.match(unreadable.stderr, /cannot read manifest no-such-file\.yaml: ENOENT/);
  });

  it('disables and enables an endpoint', async () => {
    const off = await cli.agentd(['agents', 'disable', 'idle', 'first']);
    assert.equal(off.code, 0, show(off));
    assert.equal(off.stdout, 'disabled idle/first\n');
    const refused = await cli.agentd(['run', 'idle/first', '--input', '{}']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /^agentd: ENDPOINT_DISABLED: /);
    const on = await cli.agentd(['agents', 'enable', 'idle', 'first', '--json']);
    assert.equal(JSON.parse(on.stdout).endpoints.first.enabled, true);
  });
});
