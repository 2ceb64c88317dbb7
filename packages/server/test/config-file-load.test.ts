/**
 * The config file read offline (config-file.test.ts applies it to a running server): shapes,
 * precedence, references and the problems reported with their paths.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { resolveServeConfig, checkConfigFile } from '../src/config.ts';
import { parseConfigText } from '../src/config-file/index.ts';
import { EgressPolicy } from '../src/egress/index.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}) => {
  const r = parseConfigText(text, '/etc/agentd/agentd.yaml', env);
  return r.ok ? [] : r.problems;
};
const paths = (text: string, env?: NodeJS.ProcessEnv) => problemsOf(text, env).map((p) => p.path);

describe('config file: loading', () => {
  it('names each problem by its path: unknown sections and settings, models against ModelsSection, schedules, YAML errors', () => {
    assert.deepEqual(paths('triggers: []\nfoo: 1\n'), ['foo', 'triggers']);
    assert.deepEqual(paths('server:\n  port: [1]\n  colour: red\n'), ['server.port', 'server.colour']);
    assert.deepEqual(paths('models:\n  fast:\n    provider: openai-x\n    model: m\n    extra: 1\n'), ['models.fast.extra', 'models.fast.provider']);
    assert.deepEqual(paths('models:\n  local:\n    provider: openai-compatible\n    model: m\n    fallback: gone\n'), ['models.local.base_url', 'models.local.fallback']);
    assert.deepEqual(paths('schedules:\n  daily:\n    cron: "not a cron"\n    target: { agent: hello, endpoint: greet }\n  bad:\n    target: { agent: a }\n'), ['schedules.daily.cron', 'schedules.bad.cron', 'schedules.bad.target.endpoint']);
    // A workflow target is checked as one: its problems name its own fields only.
    assert.deepEqual(paths('schedules:\n  wf:\n    cron: "* * * * *"\n    target: { workflow: nightly, agent: a }\n'), ['schedules.wf.target.agent']);
    assert.deepEqual(paths('schedules:\n  wf:\n    cron: "* * * * *"\n    target: { workflow: nightly }\n'), []);
    const yaml = problemsOf('models: [\n');
    assert.equal(yaml.length, 1);
    assert.match(yaml[0].message, /\/etc\/agentd\/agentd\.yaml is not valid YAML/);
    assert.deepEqual(paths('agents:\n  - apiVersion: agentd.dev/v1\n    kind: Agent\n    metadata: { name: x }\n    spec: { runtime: worker, endpoints: {} }\n'), ['agents.0.spec.endpoints']);
  });

  it('triggers: checked offline with paths; the secret by reference only, shaped for its auth mode', () => {
    const env = { SIG: `whsec_${randomBytes(32).toString('base64')}`, TOKEN: 'a-bearer-token-of-some-length-1234' };
    assert.deepEqual(paths('triggers:\n  orders:\n    target: { agent: shop, endpoint: order }\n    secret: env:SIG\n  tokened:\n    target: { workflow: wf }\n    auth: bearer\n    secret: env:TOKEN\n    mapping: { pointer: /data }\n    rate_limit: { count: 5, period_seconds: 1 }\n  vaulted:\n    target: { workflow: wf }\n    secret: vault:hook_secret\n', env), []);
    const bad = problemsOf('triggers:\n  a:\n    target: { agent: shop }\n    secret: env:SIG\n  b:\n    target: { workflow: wf }\n    secret: whsec_inline\n  c:\n    target: { workflow: wf }\n    secret: env:TOKEN\n  d:\n    target: { workflow: wf }\n    secret: env:SIG\n    mode: hmac\n    mapping: { pointer: "/a~2", extra: 1 }\n  f:\n    target: { workflow: wf }\n    secret: env:SIG\n    mapping: { pointer: "/a~2" }\n  e:\n    target: { workflow: wf }\n  Bad_Name:\n    target: { workflow: wf }\n    secret: env:SIG\n', env);
    assert.deepEqual(bad.map((p) => p.path), ['triggers.a.target.endpoint', 'triggers.b.secret', 'triggers.c.secret', 'triggers.d.mode', 'triggers.d.mapping.extra', 'triggers.f.mapping.pointer', 'triggers.e.secret', 'triggers.Bad_Name'], JSON.stringify(bad));
    assert.match(bad[1].message, /may not be written inline/);
    assert.match(bad[2].message, /cannot be used: a signature secret is whsec_/, 'a bearer token is no signature secret');
    assert.ok(!JSON.stringify(bad).includes(env.TOKEN), 'no problem repeats the secret');
  });

  it("the examples' config files are valid: daily-report (a schedule), order-hook (a trigger)", () => {
    const root = join(import.meta.dirname, '..', '..', '..', 'examples');
    const hook = checkConfigFile(join(root, 'order-hook', 'agentd.yaml'), { env: {}, skipSecrets: true });
    assert.ok(hook.ok, JSON.stringify(hook));
    assert.deepEqual(hook.sections.triggers, ['shop-orders']);
    assert.deepEqual(hook.sections.agents, ['orders']);
    const daily = checkConfigFile(join(root, 'daily-report', 'agentd.yaml'), { env: {}, skipSecrets: true });
    assert.ok(daily.ok, JSON.stringify(daily));
    assert.deepEqual(daily.sections.schedules, ['daily-report']);
  });

  it('reads models into ServeConfig.models, checked with the wire schema', () => {
    const r = parseConfigText('models:\n  fake:\n    provider: openai-compatible\n    base_url: http://127.0.0.1:9/v1\n    model: fake-1\n    api_key_secret: fake_model_key\n    prices: { input: 0.5, output: 1.5 }\n', '/x/agentd.yaml');
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.models, { fake: { provider: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', model: 'fake-1', api_key_secret: 'fake_model_key', prices: { input: 0.5, output: 1.5 } } });
  });

  it('takes secrets by reference only: env:NAME and file:path resolve, inline values and unset variables are problems', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentd-cfg-'));
    const key = randomBytes(32).toString('hex');
    writeFileSync(join(dir, 'master.key'), `${key}\n`);
    const file = join(dir, 'agentd.yaml');
    const ok = parseConfigText('server:\n  master_key: file:master.key\n  admin_key: env:ADMIN\n', file, { ADMIN: 'agd_0123456789abcdef0123' });
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal(ok.config.server.AGENTD_MASTER_KEY, key, 'file: is read relative to the config file, trailing newline dropped');
    assert.equal(ok.config.server.AGENTD_ADMIN_KEY, 'agd_0123456789abcdef0123');
    const bad = problemsOf('server:\n  admin_key: agd_inline_secret_value\n  master_key: env:NOPE\n');
    assert.deepEqual(bad.map((p) => p.path), ['server.admin_key', 'server.master_key']);
    assert.match(bad[0].message, /may not be written inline/);
    assert.match(bad[1].message, /NOPE, which is not set/);
  });

  it('precedence: flags > environment > file > defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentd-cfg-'));
    const file = join(dir, 'agentd.yaml');
    writeFileSync(file, 'server:\n  port: 7001\n  host: 0.0.0.0\n  log_level: debug\n  data_dir: data\n  egress_allow: [127.0.0.1, 10.0.0.0/8]\n');
    const c = resolveServeConfig({ config: file, port: '7003' }, { AGENTD_HOST: '127.0.0.2' });
    assert.equal(c.port, 7003, 'the flag wins');
    assert.equal(c.host, '127.0.0.2', 'the environment beats the file');
    assert.equal(c.logLevel, 'debug', 'the file beats the default');
    assert.equal(c.dataDir, join(dir, 'data'), 'a relative data_dir is relative to the file');
    assert.equal(c.sqliteSynchronous, 'FULL', 'the default when nobody says');
    assert.equal(c.configFile?.path, file);
    assert.deepEqual(c.models, {});
    assert.equal(resolveServeConfig({}, {}).port, 7070);
  });

  it('a missing or invalid file fails the start, naming the path', () => {
    assert.throws(() => resolveServeConfig({ config: '/nonexistent-dir/agentd.yaml' }, {}), /\/nonexistent-dir\/agentd\.yaml.*\n.*no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'agentd-cfg-'));
    const file = join(dir, 'agentd.yaml');
    writeFileSync(file, 'server:\n  port: 99999\n');
    assert.throws(() => resolveServeConfig({ config: file }, {}), new RegExp(`--port must be 0\\.\\.65535 \\(read from the flags, the environment and the server: section of ${file}\\)`));
    assert.deepEqual(checkConfigFile(file), { ok: false, file, problems: [{ path: 'server', message: '--port must be 0..65535' }] });
    writeFileSync(file, 'schedules:\n  s:\n    cron: "@daily"\n    target: { agent: a, endpoint: b }\nwebhooks:\n  w:\n    url: https://example.com/hook\n    events: [run.succeeded]\n    secret: env:HOOK_SECRET\n');
    assert.equal(checkConfigFile(file, { env: {} }).ok, false, 'the reference cannot be resolved here');
    assert.deepEqual(checkConfigFile(file, { env: {}, skipSecrets: true }), { ok: true, file, sections: { models: [], keys: [], secrets: [], agents: [], grants: [], workflows: [], triggers: [], schedules: ['s'], webhooks: ['w'] } });
  });

  it('config validate refuses a webhook URL the egress policy refuses without DNS; the allow-list (file or environment) lets it through', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentd-cfg-'));
    const file = join(dir, 'agentd.yaml');
    const hooks = 'webhooks:\n  w:\n    url: http://10.0.0.5/hook\n    events: [run.succeeded]\n    secret: env:HOOK_SECRET\n  meta:\n    url: http://169.254.169.254/latest\n    events: [run.failed]\n    secret: env:HOOK_SECRET\n  ok:\n    url: https://example.com/hook\n    events: [run.failed]\n    secret: env:HOOK_SECRET\n';
    writeFileSync(file, hooks);
    const r = checkConfigFile(file, { env: {}, skipSecrets: true });
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.deepEqual(!r.ok && r.problems.map((p) => p.path), ['webhooks.w.url', 'webhooks.meta.url']);
    assert.match(!r.ok ? r.problems[0].message : '', /egress refused: 10\.0\.0\.5 is a private address/);
    assert.equal(checkConfigFile(file, { env: { AGENTD_EGRESS_ALLOW: '10.0.0.0/8,169.254.169.254' }, skipSecrets: true }).ok, true, 'allowed by the environment');
    writeFileSync(file, `server:\n  egress_allow: [10.0.0.5, 169.254.169.254]\n${hooks}`);
    assert.equal(checkConfigFile(file, { env: {}, skipSecrets: true }).ok, true, 'allowed by the file');
  });
});
