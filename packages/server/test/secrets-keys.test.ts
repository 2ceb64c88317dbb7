/**
 * The pieces under the vault, without a database: master-key parsing and the key file (mode 0600,
 * made once, refused when others can read it), the envelope's AAD, the server-side scrubber, and
 * the SDK worker's ctx.secrets and log redaction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import './helpers/leak-check-after-file.ts';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Task } from '@agentd/protocol';
import { SecretNotGrantedError } from '@agentd/sdk/worker';
import { resolveServeConfig } from '../src/config.ts';
import { loadKeyring, MASTER_KEY_FILE } from '../src/secrets/master-key-file.ts';
import { Keyring, kekId, parseMasterKey } from '../src/secrets/master-key.ts';
import { openSecret, rewrapSecret, sealSecret } from '../src/secrets/secret-crypto.ts';
import { createScrubber } from '../src/secrets/secret-scrubber.ts';
import { DomainError } from '../src/core/index.ts';
import { createTaskSecrets, redactingLogger, withoutSecrets } from '../../sdk/src/worker/task-secrets.ts';

describe('master key', () => {
  it('parses 32 bytes as hex, base64 or base64url, and refuses anything else without echoing it', () => {
    const key = randomBytes(32);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url'), ` ${key.toString('hex').toUpperCase()}\n`]) {
      assert.deepEqual(parseMasterKey(text, 'K'), key);
    }
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), randomBytes(33).toString('base64'), `${key.toString('hex')}00`]) {
      assert.throws(
        () => parseMasterKey(bad, 'K'),
        (err: Error) => /K must be 32 bytes/.test(err.message) && (bad.length < 4 || !err.message.includes(bad)),
      );
    }
  });

  it('a malformed AGENTD_MASTER_KEY or AGENTD_MASTER_KEY_PREVIOUS refuses to start', () => {
    const good = randomBytes(32).toString('base64');
    assert.throws(() => resolveServeConfig({}, { AGENTD_MASTER_KEY: 'not-a-key' }), /configuration: AGENTD_MASTER_KEY must be 32 bytes/);
    assert.throws(() => resolveServeConfig({}, { AGENTD_MASTER_KEY: good, AGENTD_MASTER_KEY_PREVIOUS: `${good},nope` }), /AGENTD_MASTER_KEY_PREVIOUS \(key 2\)/);
    const config = resolveServeConfig({}, { AGENTD_MASTER_KEY: good, AGENTD_MASTER_KEY_PREVIOUS: ` ${good} , ${randomBytes(32).toString('hex')}` });
    assert.equal(config.masterKey!.length, 32);
    assert.equal(config.previousMasterKeys.length, 2);
    assert.equal(resolveServeConfig({}, {}).masterKey, undefined);
  });

  it('is a 0600 file made on first start, the same on every later start; a file others can read refuses to start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentd-key-'));
    try {
      const printed: string[] = [];
      const first = loadKeyring({ previousMasterKeys: [], dataDir: dir, shared: false }, (l) => printed.push(l));
      const file = join(dir, MASTER_KEY_FILE);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.match(printed.join('\n'), /created a master key/);
      assert.ok(!printed.join('\n').includes(readFileSync(file, 'utf8').trim()), 'the key itself is never printed');
      const again = loadKeyring({ previousMasterKeys: [], dataDir: dir, shared: true }, (l) => printed.push(l));
      assert.equal(again.current.id, first.current.id, 'the file is read, not replaced');
      assert.match(printed.at(-1)!, /every node on this database needs the same key/);

      chmodSync(file, 0o644);
      assert.throws(() => loadKeyring({ previousMasterKeys: [], dataDir: dir, shared: false }, () => {}), /mode 0644.*chmod 600/);
      chmodSync(file, 0o600);
      writeFileSync(file, 'garbage\n');
      assert.throws(() => loadKeyring({ previousMasterKeys: [], dataDir: dir, shared: false }, () => {}), /must be 32 bytes/, 'a damaged file is never silently replaced');

      const env = randomBytes(32);
      const fromEnv = loadKeyring({ masterKey: env, previousMasterKeys: [first.current.key], dataDir: dir, shared: false }, () => {});
      assert.equal(fromEnv.current.id, kekId(env), 'AGENTD_MASTER_KEY wins over the file');
      assert.deepEqual(fromEnv.ids, [kekId(env), first.current.id]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ids are fingerprints: stable, distinct per key, never the key', () => {
    const key = randomBytes(32);
    assert.equal(kekId(key), kekId(Buffer.from(key)));
    assert.notEqual(kekId(key), kekId(randomBytes(32)));
    assert.match(kekId(key), /^kek_[0-9a-f]{16}$/);
    assert.ok(!key.toString('hex').includes(kekId(key).slice(4)));
    const k = new Keyring(key);
    assert.notDeepEqual(k.derive('a'), k.derive('b'));
    assert.deepEqual(k.derive('a'), new Keyring(key).derive('a'));
  });
});

describe('envelope encryption', () => {
  const keyring = Keyring.generate();
  const at = { tenantId: 't1', name: 'api_key', version: 1 };

  it('round-trips, with a fresh data key and IV per version', () => {
    const a = sealSecret(keyring, at, 'hunter2-hunter2');
    const b = sealSecret(keyring, at, 'hunter2-hunter2');
    assert.notEqual(a.ciphertext, b.ciphertext);
    assert.notEqual(a.wrapped_dek, b.wrapped_dek);
    assert.equal(openSecret(keyring, at, a), 'hunter2-hunter2');
    assert.equal(openSecret(keyring, at, sealSecret(keyring, at, 'ünïcødé ✓')), 'ünïcødé ✓');
  });

  it('the AAD binds tenant, name and version; a wrapped key is not a value', () => {
    const sealed = sealSecret(keyring, at, 'bound-value');
    for (const other of [
      { ...at, tenantId: 't2' },
      { ...at, name: 'api_key2' },
      { ...at, version: 2 },
      // JSON in the AAD: no name/tenant split can be forged with a separator.
      { tenantId: 't1","api_key', name: '', version: 1 },
    ]) {
      assert.throws(() => openSecret(keyring, other, sealed), (err: unknown) => err instanceof DomainError && err.code === 'SECRET_UNREADABLE');
    }
    const swapped = { ...sealed, ciphertext: sealed.wrapped_dek, iv: sealed.dek_iv, tag: sealed.dek_tag };
    assert.throws(() => openSecret(keyring, at, swapped), /cannot be decrypted/);
  });

  it('rewrap changes the wrapping only, and needs the old key', () => {
    const old = Keyring.generate();
    const sealed = sealSecret(old, at, 'moving-value');
    const both = new Keyring(randomBytes(32), { previous: [old.current.key] });
    const moved = { ...sealed, ...rewrapSecret(both, at, sealed) };
    assert.equal(moved.ciphertext, sealed.ciphertext, 'the value is not re-encrypted');
    assert.equal(moved.kek_id, both.current.id);
    assert.equal(openSecret(new Keyring(both.current.key), at, moved), 'moving-value');
    assert.throws(() => rewrapSecret(Keyring.generate(), at, sealed), /which this server was not given/);
  });
});

describe('scrubber', () => {
  it('replaces values in strings, keys, nested arrays and numbers; longest first; JSON- and URL-encoded forms too', () => {
    const scrub = createScrubber([
      { name: 'short_one', value: 'abcd' },
      { name: 'long_one', value: 'abcdefgh' },
      { name: 'quoted', value: 'pa"ss\\word' },
      { name: 'pin', value: '12345678' },
      { name: 'tiny', value: 'xyz' },
    ]);
    assert.deepEqual(scrub({ a: 'xabcdefghx abcd', b: ['abcd', { abcd: 1 }], n: 9123456789, m: 5, t: 'xyz' }), {
      a: 'x[redacted:long_one]x [redacted:short_one]',
      b: ['[redacted:short_one]', { '[redacted:short_one]': 1 }],
      n: '9[redacted:pin]9',
      m: 5,
      t: 'xyz',
    });
    assert.equal(scrub(JSON.stringify({ p: 'pa"ss\\word' })), '{"p":"[redacted:quoted]"}');
    assert.equal(scrub(`?q=${encodeURIComponent('pa"ss\\word')}`), '?q=[redacted:quoted]');
    assert.equal(scrub('[redacted:abcd]'), '[redacted:[redacted:short_one]]', 'a marker is never rescanned into something else');
    assert.equal(scrub(null), null);
    assert.equal(scrub(true), true);
    const proto = scrub(JSON.parse('{"__proto__": {"polluted": "abcd"}}'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(proto), ['__proto__']);
  });
});

describe('SDK worker: ctx.secrets and log redaction', () => {
  const task = { lease_id: 'lse_1', run_id: 'run_1', agent: 'alpha', endpoint: 'use', secrets: { api_key: 'sk-live-123456' } } as unknown as Task;

  it('get returns a delivered value; anything else throws naming the missing grant', () => {
    const secrets = createTaskSecrets(task);
    assert.equal(secrets.get('api_key'), 'sk-live-123456');
    assert.deepEqual(secrets.names(), ['api_key']);
    assert.throws(
      () => secrets.get('db_password'),
      (err: unknown) =>
        err instanceof SecretNotGrantedError && err.message.startsWith('secret "db_password" is not granted to agent "alpha" (endpoint use)') && err.type === 'secret_not_granted',
    );
    assert.equal(JSON.stringify(secrets), '{}');
    assert.ok(!('secrets' in withoutSecrets(task)));
    assert.ok('secrets' in task, 'the original task is not modified');
  });

  it("the worker's log lines have the task's values redacted, and the logger keeps its `this`", () => {
    const lines: string[] = [];
    class Collecting {
      prefix = '>';
      info(m: string, f?: Record<string, unknown>) {
        lines.push(`${this.prefix} ${m} ${JSON.stringify(f)}`);
      }
      debug = this.info;
      warn = this.info;
      error = this.info;
    }
    const logger = redactingLogger(new Collecting(), task.secrets);
    logger.error('failed with sk-live-123456', { error: 'auth sk-live-123456', nested: { k: ['sk-live-123456'] } });
    assert.deepEqual(lines, ['> failed with [redacted:api_key] {"error":"auth [redacted:api_key]","nested":{"k":["[redacted:api_key]"]}}']);
  });
});
