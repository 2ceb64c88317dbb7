/**
 * The config file (`agentd serve --config agentd.yaml`) in process, on both databases (the file
 * read offline is config-file-load.test.ts): reload diffs
 * (added, changed, removed, unchanged) through POST /v1/reload, an invalid file that changes
 * nothing, 409 MANAGED_BY_CONFIG on API writes and the takeover header, models replaced in place,
 * webhooks and triggers with a secret by reference (a reload rotating a trigger's secret, the old
 * one still verifying within the overlap). The real process (SIGHUP, `agentd reload`) is in
 * config-reload-process.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { resolveServeConfig, checkConfigFile } from '../src/config.ts';
import { EgressPolicy } from '../src/egress/index.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

const HOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

for (const d of await dialects()) {
  describe(`config file: reload (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let plain: TestApp;
    let file: string;
    const write = (text: string) => writeFileSync(file, text);
    const reload = async () => t.call('POST', '/v1/reload', { body: {} });
    const helloFile = () => {
      const p = join(file, '..', 'hello.json');
      writeFileSync(p, JSON.stringify(HELLO_MANIFEST));
      return p;
    };
    const base = (cron: string, extra = '') =>
      `models:\n  fake:\n    provider: openai-compatible\n    base_url: http://127.0.0.1:9/v1\n    model: fake-1\nagents:\n  - hello.json\nschedules:\n  daily:\n    cron: "${cron}"\n    timezone: Europe/Berlin\n    target: { agent: hello, endpoint: greet }\n    input: { name: cfg }\n${extra}`;
    before(async () => {
      db = await d.create();
      file = join(mkdtempSync(join(tmpdir(), 'agentd-cfg-')), 'agentd.yaml');
      helloFile();
      write(base('0 9 * * *'));
      t = await startTestApp(db, { configPath: file, webhooks: { egress: EgressPolicy.parse('127.0.0.1') } });
      plain = await startTestApp(db);
      process.env.CFG_TEST_HOOK_SECRET = HOOK_SECRET;
    });
    after(async () => {
      delete process.env.CFG_TEST_HOOK_SECRET;
      await t?.close();
      await plain?.close();
      await db?.cleanup();
    });

    it('without --config, POST /v1/reload is 409 CONFIG_NOT_LOADED', async () => {
      const r = await plain.call('POST', '/v1/reload', { body: {} });
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().error.code, 'CONFIG_NOT_LOADED');
    });

    it('the first apply adds everything, the next one reports it unchanged; models land in engine.models', async () => {
      const first = await reload();
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual(first.json().diff, { added: ['agents/hello', 'schedules/daily', 'models/fake'], changed: [], removed: [], unchanged: [] });
      assert.deepEqual(first.json().restart_required, []);
      assert.equal((await t.call('GET', '/v1/schedules/daily')).json().cron, '0 9 * * *');
      assert.equal(t.engine.models.fake.model, 'fake-1');
      const again = await reload();
      assert.deepEqual(again.json().diff, { added: [], changed: [], removed: [], unchanged: ['agents/hello', 'schedules/daily', 'models/fake'] });
      assert.equal((await t.call('GET', '/v1/agents/hello')).json().version, 1, 'an unchanged manifest is not deployed again');
      await t.engine.audit.settled();
      const audit = (await t.call('GET', '/v1/audit?action=config.applied')).json().data;
      assert.equal(audit.length, 2, JSON.stringify(audit));
      assert.deepEqual(audit[1].details, { file, added: ['agents/hello', 'schedules/daily', 'models/fake'], changed: [], removed: [], unchanged: 0 });
    });

    it('a changed schedule and model are "changed", a new one "added", one no longer listed "removed"; models are replaced in place', async () => {
      const models = t.engine.models;
      write(base('30 9 * * *').replace('model: fake-1', 'model: fake-2') + `  weekly:\n    cron: "@weekly"\n    target: { agent: hello, endpoint: greet }\n    input: { name: w }\n`);
      const r = await reload();
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().diff, { added: ['schedules/weekly'], changed: ['schedules/daily', 'models/fake'], removed: [], unchanged: ['agents/hello'] });
      assert.equal((await t.call('GET', '/v1/schedules/daily')).json().cron, '30 9 * * *');
      assert.equal(t.engine.models, models, 'the same object');
      assert.equal(models.fake.model, 'fake-2');
      write(base('30 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:'));
      const removed = await reload();
      assert.deepEqual(removed.json().diff, { added: [], changed: [], removed: ['schedules/weekly', 'models/fake'], unchanged: ['agents/hello', 'schedules/daily'] });
      assert.equal((await t.call('GET', '/v1/schedules/weekly')).statusCode, 404);
      assert.deepEqual(Object.keys(models), []);
    });

    it('an invalid file changes nothing and says what is wrong, with paths: offline problems and problems against the server', async () => {
      const before = (await t.call('GET', '/v1/schedules/daily')).json();
      write(base('not a cron') + 'colour: blue\n');
      const r = await reload();
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'CONFIG_INVALID');
      assert.deepEqual(r.json().error.details.map((p: { path: string }) => p.path), ['colour', 'schedules.daily.cron']);
      write(base('15 9 * * *') + `  ghost:\n    cron: "@daily"\n    target: { agent: nobody, endpoint: e }\n  typo:\n    cron: "@daily"\n    target: { agent: hello, endpoint: greet }\n    input: { nom: 1 }\n`);
      const server = await reload();
      assert.equal(server.statusCode, 422, server.body);
      const details = server.json().error.details.map((p: { path: string }) => p.path);
      assert.ok(details.includes('schedules.ghost.target.agent') && details.some((p: string) => p.startsWith('schedules.typo.input')), JSON.stringify(details));
      assert.deepEqual((await t.call('GET', '/v1/schedules/daily')).json(), before, 'the valid change to daily was not applied either');
      assert.equal((await t.call('GET', '/v1/schedules/ghost')).statusCode, 404);
      write(base('30 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:'));
      assert.deepEqual((await reload()).json().diff.changed, []);
    });

    it('a webhook URL the egress policy refuses fails the checks: 422 CONFIG_INVALID, and the schedule change before it is not applied', async () => {
      const before = (await t.call('GET', '/v1/schedules/daily')).json();
      write(base('45 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:') + 'webhooks:\n  private:\n    url: http://10.0.0.5/hook\n    events: [run.succeeded]\n    secret: env:CFG_TEST_HOOK_SECRET\n');
      const r = await reload();
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'CONFIG_INVALID');
      assert.match(r.json().error.message, /nothing was changed/);
      assert.deepEqual(r.json().error.details.map((p: { path: string }) => p.path), ['webhooks.private.url']);
      assert.deepEqual((await t.call('GET', '/v1/schedules/daily')).json(), before, 'the cron was not changed');
      assert.deepEqual((await t.call('GET', '/v1/webhooks')).json().data, []);
    });

    it("a schedule's input is checked against its workflow's input schema, of the file or of the server, before anything is applied", async () => {
      const before = (await t.call('GET', '/v1/schedules/daily')).json();
      const wf = (name: string) => ({ apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name }, spec: { input: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'], additionalProperties: false }, steps: [{ id: 'greet', agent: 'hello', endpoint: 'greet', input: { name: 'x' } }] } });
      const onServer = await t.call('POST', '/v1/workflows', { body: wf('served') });
      assert.equal(onServer.statusCode, 201, onServer.body);
      writeFileSync(join(file, '..', 'filed.json'), JSON.stringify(wf('filed')));
      const sched = (id: string, workflow: string, input: string) => `  ${id}:\n    cron: "@daily"\n    target: { workflow: ${workflow} }\n    input: ${input}\n`;
      const text = (a: string, b: string) => base('50 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:').replace('schedules:', 'workflows:\n  - filed.json\nschedules:') + sched('from-file', 'filed', a) + sched('from-server', 'served', b);
      write(text('{ subject: x }', '{ topic: 1 }'));
      const r = await reload();
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'CONFIG_INVALID');
      const details = r.json().error.details.map((p: { path: string }) => p.path);
      assert.ok(details.some((p: string) => p.startsWith('schedules.from-file.input')) && details.some((p: string) => p.startsWith('schedules.from-server.input')), JSON.stringify(details));
      assert.deepEqual((await t.call('GET', '/v1/schedules/daily')).json(), before, 'nothing was changed');
      assert.equal((await t.call('GET', '/v1/workflows/filed')).statusCode, 404, 'not even the workflow');
      write(text('{ topic: a }', '{ topic: b }'));
      const ok = await reload();
      assert.equal(ok.statusCode, 200, ok.body);
      write(base('30 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:'));
      assert.equal((await reload()).statusCode, 200);
      await t.call('DELETE', '/v1/workflows/served', { headers: { 'agentd-takeover': 'true' } });
    });

    it('API writes to managed resources are 409 MANAGED_BY_CONFIG; running them is not a write; Agentd-Takeover: true releases one', async () => {
      for (const [method, url, body] of [
        ['PATCH', '/v1/schedules/daily', { cron: '@hourly' }],
        ['DELETE', '/v1/schedules/daily', undefined],
        ['POST', '/v1/schedules/daily/pause', {}],
        ['POST', '/v1/schedules', { id: 'daily', cron: '@hourly', target: { agent: 'hello', endpoint: 'greet' }, input: { name: 'x' } }],
        ['POST', '/v1/agents', HELLO_MANIFEST],
        ['DELETE', '/v1/agents/hello', undefined],
        ['POST', '/v1/agents/hello/endpoints/greet/disable', undefined],
      ] as const) {
        const r = await t.call(method, url, { body });
        assert.equal(r.statusCode, 409, `${method} ${url}: ${r.body}`);
        assert.equal(r.json().error.code, 'MANAGED_BY_CONFIG');
        assert.equal(r.json().error.details.section, url.includes('agents') ? 'agents' : 'schedules');
      }
      const yaml = await t.call('POST', '/v1/agents', { body: 'apiVersion: agentd.dev/v1\nkind: Agent\nmetadata: { name: hello }\nspec: { runtime: worker, endpoints: { greet: { input: {}, output: {} } } }\n', headers: { 'content-type': 'application/yaml' } });
      assert.equal(yaml.statusCode, 409, 'a YAML manifest is named too');
      assert.equal((await t.call('POST', '/v1/schedules/daily/run', { body: {} })).statusCode, 201, 'run now is not a change');
      const taken = await t.call('POST', '/v1/schedules/daily/pause', { body: {}, headers: { 'agentd-takeover': 'true' } });
      assert.equal(taken.statusCode, 200, taken.body);
      assert.equal(taken.json().paused, true);
      assert.equal((await t.call('POST', '/v1/schedules/daily/resume', { body: {} })).statusCode, 200, 'no longer managed');
      const back = await reload();
      assert.deepEqual(back.json().diff.added, ['schedules/daily'], 'the next reload takes it back');
      assert.equal((await t.call('PATCH', '/v1/schedules/daily', { body: { cron: '@hourly' } })).statusCode, 409);
    });

    it('webhooks: created with the secret the file refers to, updated in place, rotated when the secret changes, removed', async () => {
      const hook = (url: string, secretVar = 'CFG_TEST_HOOK_SECRET') => `webhooks:\n  ops:\n    url: ${url}\n    events: [run.succeeded, run.failed]\n    secret: env:${secretVar}\n`;
      write(base('30 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:') + hook('http://127.0.0.1:9/a'));
      const r = await reload();
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().diff.added, ['webhooks/ops']);
      const [w] = (await t.call('GET', '/v1/webhooks')).json().data;
      assert.equal(w.url, 'http://127.0.0.1:9/a');
      assert.equal(await t.engine.webhooks.currentSecretIs({ tenantId: t.tenantId, id: w.id }, HOOK_SECRET), true);
      assert.equal((await t.call('DELETE', `/v1/webhooks/${w.id}`)).statusCode, 409);
      process.env.CFG_TEST_HOOK_SECRET_2 = `whsec_${randomBytes(32).toString('base64')}`;
      write(base('30 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:') + hook('http://127.0.0.1:9/b', 'CFG_TEST_HOOK_SECRET_2'));
      assert.deepEqual((await reload()).json().diff.changed, ['webhooks/ops']);
      const updated = (await t.call('GET', `/v1/webhooks/${w.id}`)).json();
      assert.equal(updated.url, 'http://127.0.0.1:9/b');
      assert.equal(updated.secret_version, 2);
      assert.equal(await t.engine.webhooks.currentSecretIs({ tenantId: t.tenantId, id: w.id }, process.env.CFG_TEST_HOOK_SECRET_2), true);
      delete process.env.CFG_TEST_HOOK_SECRET_2;
      write(base('30 9 * * *').replace(/models:[\s\S]*?agents:/, 'agents:') + 'webhooks:\n  ops:\n    url: http://127.0.0.1:9/b\n    events: [run.succeeded]\n    secret: whsec_inline\n');
      const inline = await reload();
      assert.equal(inline.statusCode, 422);
      assert.deepEqual(inline.json().error.details, [{ path: 'webhooks.ops.secret', message: 'is a secret and may not be written inline: use env:NAME or file:path' }]);
      write('agents: []\n');
      const gone = await reload();
      assert.deepEqual(gone.json().diff, { added: [], changed: [], removed: ['webhooks/ops', 'schedules/daily', 'agents/hello'], unchanged: [] });
      assert.equal((await t.call('GET', `/v1/webhooks/${w.id}`)).statusCode, 404);
      assert.equal((await t.call('GET', '/v1/agents/hello')).statusCode, 404);
    });

    it('workflows: deployed after the agents they call; a step whose agent is nowhere is refused before anything is written', async () => {
      const wf = (agent: string) => `workflows:\n  - apiVersion: agentd.dev/v1\n    kind: Workflow\n    metadata: { name: greeter }\n    spec:\n      steps:\n        - id: greet\n          agent: ${agent}\n          endpoint: greet\n          input: { name: wf }\n`;
      write(`agents:\n  - hello.json\n${wf('nobody')}`);
      const refused = await reload();
      assert.equal(refused.statusCode, 422, refused.body);
      assert.deepEqual(refused.json().error.details.map((p: { path: string }) => p.path), ['workflows.0.spec.steps[0].agent']);
      assert.equal((await t.call('GET', '/v1/agents/hello')).statusCode, 404, 'the agent of the same file was not deployed either');
      write(`agents:\n  - hello.json\n${wf('hello')}`);
      const ok = await reload();
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json().diff.added, ['agents/hello', 'workflows/greeter']);
      assert.equal((await t.call('DELETE', '/v1/workflows/greeter')).statusCode, 409);
      write('agents: []\n');
      assert.deepEqual((await reload()).json().diff.removed, ['workflows/greeter', 'agents/hello']);
    });

    it('secrets by reference and grants: sealed by the vault, rotated when the value behind the reference changes, never stored outside it', async () => {
      const value1 = `sk-${randomBytes(16).toString('hex')}`;
      const value2 = `sk-${randomBytes(16).toString('hex')}`;
      process.env.CFG_TEST_API_KEY = value1;
      const text = (grants: string) => `secrets:\n  api_key: env:CFG_TEST_API_KEY\n  other: { value: file:other.txt, description: from a file }\nagents:\n  - hello.json\n${grants}`;
      writeFileSync(join(file, '..', 'other.txt'), 'other-value\n');
      write(text('grants:\n  - { secret: nope, agent: hello }\n'));
      const refused = await reload();
      assert.equal(refused.statusCode, 422, refused.body);
      assert.deepEqual(refused.json().error.details.map((p: { path: string }) => p.path), ['grants.0.secret']);
      assert.equal(await t.engine.secrets.exists(t.tenantId, 'api_key'), false, 'nothing was written');
      write(text('grants:\n  - { secret: api_key, agent: hello }\n  - { secret: other, agent: hello, endpoint: greet }\n'));
      const r = await reload();
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().diff.added, ['secrets/api_key', 'secrets/other', 'agents/hello', 'grants/api_key→hello', 'grants/other→hello/greet']);
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'api_key' }), value1);
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'other' }), 'other-value');
      assert.equal((await t.call('GET', '/v1/secrets/other')).json().description, 'from a file');
      assert.equal((await t.call('DELETE', '/v1/secrets/api_key')).statusCode, 409);
      const grantId = (await t.call('GET', '/v1/grants?secret=api_key')).json().data[0].id;
      assert.equal((await t.call('DELETE', `/v1/grants/${grantId}`)).statusCode, 409);
      assert.deepEqual((await reload()).json().diff.changed, [], 'the same values: unchanged');
      process.env.CFG_TEST_API_KEY = value2;
      const rotated = await reload();
      assert.deepEqual(rotated.json().diff.changed, ['secrets/api_key'], 'a new value behind the same reference');
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'api_key' }), value2);
      const rows = await t.store.db.selectFrom('config_resources').selectAll().where('tenant_id', '=', t.tenantId).execute();
      assert.ok(rows.length > 0 && !JSON.stringify(rows).includes(value1) && !JSON.stringify(rows).includes(value2) && !JSON.stringify(rows).includes('other-value'));
      write(text(''));
      const revoked = await reload();
      assert.deepEqual(revoked.json().diff.removed, ['grants/other→hello/greet', 'grants/api_key→hello']);
      assert.deepEqual((await t.call('GET', '/v1/grants?secret=api_key')).json().data, []);
      write('agents: []\n');
      assert.deepEqual((await reload()).json().diff.removed, ['agents/hello', 'secrets/other', 'secrets/api_key']);
      assert.equal(await t.engine.secrets.exists(t.tenantId, 'api_key'), false);
      delete process.env.CFG_TEST_API_KEY;
    });

    it('keys by name and role, their values by reference: a new value replaces the key; a role change needs one; a revoked value never comes back', async () => {
      const k1 = `agd_cfg_${randomBytes(16).toString('hex')}`;
      const k2 = `agd_cfg_${randomBytes(16).toString('hex')}`;
      process.env.CFG_TEST_KEY = k1;
      const keys = (role: string) => `keys:\n  ci:\n    role: ${role}\n    key: env:CFG_TEST_KEY\n  deployer:\n    role: worker\n    agents: [hello]\n    key: env:CFG_TEST_KEY_W\n`;
      process.env.CFG_TEST_KEY_W = `agd_cfgw_${randomBytes(16).toString('hex')}`;
      write(keys('developer'));
      const r = await reload();
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().diff.added, ['keys/ci', 'keys/deployer']);
      assert.equal((await t.call('GET', '/v1/agents', { key: k1 })).statusCode, 200);
      const listed = (await t.call('GET', '/v1/keys')).json().data.find((k: { name: string }) => k.name === 'ci');
      assert.equal(listed.role, 'developer');
      assert.equal((await t.call('DELETE', `/v1/keys/${listed.id}`)).statusCode, 409);
      assert.deepEqual((await reload()).json().diff.unchanged, ['keys/ci', 'keys/deployer']);
      write(keys('viewer'));
      const sameValue = await reload();
      assert.equal(sameValue.statusCode, 422, sameValue.body);
      assert.deepEqual(sameValue.json().error.details.map((p: { path: string }) => p.path), ['keys.ci']);
      process.env.CFG_TEST_KEY = k2;
      const replaced = await reload();
      assert.deepEqual(replaced.json().diff.changed, ['keys/ci']);
      assert.equal((await t.call('GET', '/v1/agents', { key: k1 })).statusCode, 401, 'the old key is revoked');
      assert.equal((await t.call('POST', '/v1/agents', { key: k2, body: HELLO_MANIFEST })).statusCode, 403, 'a viewer now');
      process.env.CFG_TEST_KEY = k1;
      const back = await reload();
      assert.equal(back.statusCode, 422);
      assert.match(back.json().error.details[0].message, /a revoked key never comes back/);
      process.env.CFG_TEST_KEY = k2;
      write('agents: []\n');
      assert.deepEqual((await reload()).json().diff.removed, ['keys/deployer', 'keys/ci']);
      assert.equal((await t.call('GET', '/v1/agents', { key: k2 })).statusCode, 401);
      delete process.env.CFG_TEST_KEY;
      delete process.env.CFG_TEST_KEY_W;
    });

    it('triggers: by name, secret by reference; a reload with a new secret rotates it in and the old one still verifies within the overlap; 409 on API writes', async () => {
      const base = await t.listen();
      const hook = async (id: string, body: string, headers: Record<string, string>) => (await fetch(`${base}/v1/hooks/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })).status;
      const signed = (secret: string, body: string) => {
        const id = `msg_cfg_${randomBytes(8).toString('hex')}`;
        const at = new Date();
        return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new StandardWebhook(secret).sign(id, at, body) };
      };
      const s1 = `whsec_${randomBytes(32).toString('base64')}`;
      const s2 = `whsec_${randomBytes(32).toString('base64')}`;
      const token = `tok_${randomBytes(24).toString('hex')}`;
      process.env.CFG_TEST_TRG = s1;
      const text = (extra = '') =>
        `secrets:\n  hook_token: env:CFG_TEST_TRG_TOKEN\nagents:\n  - hello.json\ntriggers:\n  orders:\n    description: orders from the shop\n    target: { agent: hello, endpoint: greet }\n    secret: env:CFG_TEST_TRG\n    mapping: { template: { name: "{% body.who %}" } }\n    rate_limit: { count: 50, period_seconds: 60 }\n  tokened:\n    target: { agent: hello, endpoint: greet }\n    auth: bearer\n    secret: vault:hook_token\n${extra}`;
      process.env.CFG_TEST_TRG_TOKEN = token;
      write(text('  ghost:\n    target: { agent: hello, endpoint: nope }\n    secret: env:CFG_TEST_TRG\n  wf:\n    target: { workflow: nowhere }\n    secret: vault:missing_secret\n'));
      const refused = await reload();
      assert.equal(refused.statusCode, 422, refused.body);
      assert.deepEqual(refused.json().error.details.map((p: { path: string }) => p.path), ['triggers.ghost.target.endpoint', 'triggers.wf.target.workflow', 'triggers.wf.secret']);
      assert.deepEqual(await t.engine.triggers.listNamed(t.tenantId), [], 'nothing was written');
      write(text());
      const r = await reload();
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().diff.added, ['secrets/hook_token', 'agents/hello', 'triggers/orders', 'triggers/tokened']);
      const named = await t.engine.triggers.listNamed(t.tenantId);
      assert.deepEqual(named.map((x) => [x.name, x.auth, x.description, x.rate_limit.count]), [['orders', 'signature', 'orders from the shop', 50], ['tokened', 'bearer', null, 600]]);
      const [orders, tokened] = named;
      const body = JSON.stringify({ who: 'cfg' });
      assert.equal(await hook(orders.id, body, signed(s1, body)), 202, 'signed with the secret the file refers to');
      assert.equal(await hook(tokened.id, JSON.stringify({ name: 'cfg' }), { authorization: `Bearer ${token}` }), 202, 'bearer, its token from the vault');
      for (const [method, url, b] of [
        ['PATCH', `/v1/triggers/${orders.id}`, { description: 'x' }],
        ['DELETE', `/v1/triggers/${orders.id}`, undefined],
        ['POST', `/v1/triggers/${tokened.id}/rotate-secret`, {}],
      ] as const) {
        const w = await t.call(method, url, { body: b });
        assert.equal(w.statusCode, 409, `${method} ${url}: ${w.body}`);
        assert.equal(w.json().error.code, 'MANAGED_BY_CONFIG');
        assert.equal(w.json().error.details.section, 'triggers');
      }
      assert.deepEqual((await reload()).json().diff.unchanged, ['secrets/hook_token', 'agents/hello', 'triggers/orders', 'triggers/tokened']);
      process.env.CFG_TEST_TRG = s2;
      const rotated = await reload();
      assert.equal(rotated.statusCode, 200, rotated.body);
      assert.deepEqual(rotated.json().diff.changed, ['triggers/orders'], 'a new secret behind the same reference');
      assert.equal((await t.call('GET', `/v1/triggers/${orders.id}`)).json().secret_version, 2, 'rotated in place: the same trigger and URL');
      assert.equal(await hook(orders.id, body, signed(s1, body)), 202, 'the old secret still verifies within the overlap');
      assert.equal(await hook(orders.id, body, signed(s2, body)), 202, 'the new one too');
      assert.equal(await hook(orders.id, body, signed(`whsec_${randomBytes(32).toString('base64')}`, body)), 401);
      const rows = await t.store.db.selectFrom('config_resources').selectAll().where('tenant_id', '=', t.tenantId).execute();
      assert.ok(!JSON.stringify(rows).includes(s1) && !JSON.stringify(rows).includes(s2) && !JSON.stringify(rows).includes(token));
      write(text().replace('    auth: bearer\n', ''));
      const modeChange = await reload();
      assert.equal(modeChange.statusCode, 422, modeChange.body);
      assert.deepEqual(modeChange.json().error.details.map((p: { path: string }) => p.path), ['triggers.tokened.secret', 'triggers.tokened.auth'], modeChange.body);
      write('agents: []\n');
      const gone = await reload();
      assert.deepEqual(gone.json().diff.removed, ['triggers/tokened', 'triggers/orders', 'agents/hello', 'secrets/hook_token']);
      assert.equal(await hook(orders.id, body, signed(s2, body)), 401, 'a removed trigger answers 401');
      assert.deepEqual(await t.engine.triggers.listNamed(t.tenantId), []);
      delete process.env.CFG_TEST_TRG;
      delete process.env.CFG_TEST_TRG_TOKEN;
    });

    it('only admins of the default tenant may reload', async () => {
      const dev = await t.keyFor('developer');
      assert.equal((await t.call('POST', '/v1/reload', { body: {}, key: dev })).statusCode, 403);
    });
  });
}

for (const d of (await dialects()).filter((x) => x.name === 'postgres')) {
  describe('config file: two nodes applying at once (postgres)', { skip: d.skip }, () => {
    let db: TestDatabase;
    const apps: TestApp[] = [];
    before(async () => {
      db = await d.create();
    });
    after(async () => {
      for (const a of apps) await a.close();
      await db?.cleanup();
    });

    it('one applies, the other then finds everything unchanged: no duplicate webhook, one agent version', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'agentd-cfg2-'));
      const file = join(dir, 'agentd.yaml');
      writeFileSync(join(dir, 'hello.json'), JSON.stringify(HELLO_MANIFEST));
      process.env.CFG_TEST_HOOK_SECRET_N = HOOK_SECRET;
      writeFileSync(file, 'agents:\n  - hello.json\nwebhooks:\n  ops:\n    url: http://127.0.0.1:9/n\n    events: [run.succeeded]\n    secret: env:CFG_TEST_HOOK_SECRET_N\n');
      const keyring = Keyring.generate(); // every node has the same master key
      for (let i = 0; i < 2; i++) apps.push(await startTestApp(db, { configPath: file, keyring, webhooks: { egress: EgressPolicy.parse('127.0.0.1') } }));
      const [a, b] = await Promise.all(apps.map((t) => t.call('POST', '/v1/reload', { body: {} })));
      delete process.env.CFG_TEST_HOOK_SECRET_N;
      assert.equal(a.statusCode, 200, a.body);
      assert.equal(b.statusCode, 200, b.body);
      const diffs = [a.json().diff, b.json().diff].sort((x, y) => y.added.length - x.added.length);
      assert.deepEqual(diffs, [
        { added: ['agents/hello', 'webhooks/ops'], changed: [], removed: [], unchanged: [] },
        { added: [], changed: [], removed: [], unchanged: ['agents/hello', 'webhooks/ops'] },
      ]);
      assert.equal((await apps[0].call('GET', '/v1/webhooks')).json().data.length, 1);
      assert.equal((await apps[0].call('GET', '/v1/agents/hello')).json().version, 1);
    });
  });
}
