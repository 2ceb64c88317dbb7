/**
 * The secrets vault over HTTP and at rest (TESTPLAN 19, 22): CRUD, validation, roles, tenancy,
 * idempotency, no plaintext in a database dump, AAD binding (a ciphertext moved to another
 * secret, version or tenant does not decrypt), tampering, master-key rotation and rewrap.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '@agentd/protocol';
import { buildApp } from '../src/app.ts';
import { createEngine, type Engine } from '../src/engine.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { DomainError } from '../src/core/index.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

/** The whole database as text: the SQLite file's bytes (WAL included), or pg_dump. */
function dumpDatabase(dialect: string, db: TestDatabase): string {
  if (dialect === 'sqlite') {
    return readdirSync(db.location)
      .filter((f) => f.startsWith('agentd.db'))
      .map((f) => readFileSync(join(db.location, f)).toString('latin1'))
      .join('\n');
  }
  return execFileSync('pg_dump', ['--data-only', db.location], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const COLUMNS = ['ciphertext', 'iv', 'tag', 'wrapped_dek', 'dek_iv', 'dek_tag'] as const;

/** Flips one bit of a base64 column's bytes. */
function flipBit(b64: string, bit = 5): string {
  const b = Buffer.from(b64, 'base64');
  b[Math.floor(bit / 8) % b.length] ^= 1 << bit % 8;
  return b.toString('base64');
}

async function unreadable(p: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DomainError, `${what}: a DomainError, got ${String(err)}`);
    assert.equal(err.code, 'SECRET_UNREADABLE', what);
    return true;
  });
}

for (const d of await dialects()) {
  describe(`secrets vault (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const keyring = Keyring.generate();
    let otherTenant: string;
    let otherAdmin: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { keyring });
      otherTenant = (await t.engine.tenants.create({ name: 'other' })).id;
      otherAdmin = await t.keyFor('admin', otherTenant);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async (name: string, value: string, key?: string) => {
      const r = await t.call('POST', '/v1/secrets', { body: { name, value }, key });
      assert.equal(r.statusCode, 201, r.body);
      assert.ok(!r.body.includes(value), 'the answer never holds the value');
      return r.json();
    };

    it('creates, lists, retrieves, rotates and deletes; no answer holds a value', async () => {
      const value = `pw-${randomUUID()}`;
      const r = await t.call('POST', '/v1/secrets', { body: { name: 'db_password', value, description: 'the database' } });
      assert.equal(r.statusCode, 201, r.body);
      const created = r.json();
      assert.deepEqual(Object.keys(created).sort(), ['created_at', 'description', 'kek_id', 'name', 'updated_at', 'version']);
      assert.equal(created.version, 1);
      assert.equal(created.kek_id, keyring.current.id);
      assert.equal(created.description, 'the database');

      const dup = await t.call('POST', '/v1/secrets', { body: { name: 'db_password', value: 'other-value' } });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().error.code, 'SECRET_EXISTS');

      const list = await t.call('GET', '/v1/secrets');
      assert.equal(list.statusCode, 200);
      assert.ok(list.json().data.some((s: { name: string }) => s.name === 'db_password'));
      assert.ok(!list.body.includes(value));

      const rotated = `pw2-${randomUUID()}`;
      const rot = await t.call('POST', '/v1/secrets/db_password/rotate', { body: { value: rotated } });
      assert.equal(rot.statusCode, 200, rot.body);
      assert.equal(rot.json().version, 2);
      assert.equal(rot.json().description, 'the database', 'rotation without a description keeps it');
      assert.ok(!rot.body.includes(rotated));

      const got = await t.call('GET', '/v1/secrets/db_password');
      assert.equal(got.statusCode, 200);
      assert.equal(got.json().version, 2);
      assert.deepEqual(
        got.json().versions.map((v: { version: number }) => v.version),
        [2, 1],
      );
      assert.ok(!got.body.includes(value) && !got.body.includes(rotated));
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'db_password' }), rotated);
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'db_password', version: 1 }), value);

      for (const [method, url, body] of [
        ['GET', '/v1/secrets/nope', undefined],
        ['POST', '/v1/secrets/nope/rotate', { value: 'x' }],
        ['DELETE', '/v1/secrets/nope', undefined],
      ] as const) {
        const res = await t.call(method, url, { body });
        assert.equal(res.statusCode, 404, `${method} ${url}`);
        assert.equal(res.json().error.code, 'SECRET_NOT_FOUND');
      }

      const del = await t.call('DELETE', '/v1/secrets/db_password');
      assert.equal(del.statusCode, 200);
      assert.deepEqual(del.json(), { name: 'db_password', deleted: true, grants_revoked: 0 });
      assert.equal((await t.call('GET', '/v1/secrets/db_password')).statusCode, 404);
      assert.equal((await t.call('DELETE', '/v1/secrets/db_password')).statusCode, 404);
      const left = await t.store.allTenants(t.store.db).selectFrom('secret_versions').select('version').where('name', '=', 'db_password').execute();
      assert.equal(left.length, 0, 'deleting erases every version');

      const again = await create('db_password', 'a-new-value');
      assert.equal(again.version, 3, 'a re-created name never reuses a version number');
      assert.deepEqual(
        (await t.call('GET', '/v1/secrets/db_password')).json().versions.map((v: { version: number }) => v.version),
        [3],
      );
    });

    it('pages the list newest first', async () => {
      for (const name of ['page_a', 'page_b', 'page_c']) await create(name, `value-of-${name}`);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await t.call('GET', `/v1/secrets?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(r.statusCode, 200, r.body);
        seen.push(...r.json().data.map((s: { name: string }) => s.name));
        cursor = r.json().next_cursor;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length, 'no duplicates across pages');
      for (const name of ['page_a', 'page_b', 'page_c']) assert.ok(seen.includes(name));
      assert.equal((await t.call('GET', '/v1/secrets?cursor=bad')).statusCode, 400);
    });

    it('validates names, values and extra fields, and never echoes the value in an error', async () => {
      const value = `echo-${randomUUID()}`;
      for (const name of ['Upper', '1abc', 'a-b', '', 'a'.repeat(64), 'has space']) {
        const r = await t.call('POST', '/v1/secrets', { body: { name, value } });
        assert.equal(r.statusCode, 400, `name ${JSON.stringify(name)}`);
        assert.equal(r.json().error.code, 'VALIDATION_ERROR');
        assert.ok(!r.body.includes(value), 'the value is not echoed');
      }
      const cases: [unknown, string][] = [
        [{ name: 'ok_name' }, 'body.value'],
        [{ name: 'ok_name', value: '' }, 'body.value'],
        [{ name: 'ok_name', value: 'x'.repeat(65_537) }, 'body.value'],
        [{ name: 'ok_name', value, tenant_id: otherTenant }, 'body.tenant_id'],
        [{ name: 'ok_name', value, version: 7 }, 'body.version'],
        [{ name: 'ok_name', value, kek_id: 'kek_x' }, 'body.kek_id'],
      ];
      for (const [body, path] of cases) {
        const r = await t.call('POST', '/v1/secrets', { body });
        assert.equal(r.statusCode, 400, JSON.stringify(body).slice(0, 80));
        assert.ok(r.json().error.details.some((p: { path: string }) => p.path === path), `${path} in ${r.body.slice(0, 300)}`);
        assert.ok(!r.body.includes(value));
      }
      const rot = await t.call('POST', '/v1/secrets/page_a/rotate', { body: { value, name: 'other' } });
      assert.equal(rot.statusCode, 400);
      assert.ok(!rot.body.includes(value));
    });

    it('roles: admin manages, developer reads metadata only, operator/approver/viewer/worker are denied', async () => {
      await create('role_probe', 'role-probe-value');
      const routes: [string, string, unknown][] = [
        ['GET', '/v1/secrets', undefined],
        ['GET', '/v1/secrets/role_probe', undefined],
        ['GET', '/v1/grants', undefined],
        ['POST', '/v1/secrets', { name: 'role_new', value: 'v-v-v-v' }],
        ['POST', '/v1/secrets/role_probe/rotate', { value: 'v-v-v-v' }],
        ['POST', '/v1/secrets/rewrap', {}],
        ['DELETE', '/v1/secrets/role_probe', undefined],
        ['POST', '/v1/grants', { secret: 'role_probe', agent: 'hello' }],
        ['DELETE', '/v1/grants/grt_nope', undefined],
      ];
      const reads = new Set(['GET /v1/secrets', 'GET /v1/secrets/role_probe', 'GET /v1/grants']);
      let checked = 0;
      for (const role of ['developer', 'operator', 'approver', 'viewer', 'worker'] as Role[]) {
        const key = await t.keyFor(role);
        for (const [method, url, body] of routes) {
          const r = await t.call(method, url, { key, body });
          const allowed = role === 'developer' && reads.has(`${method} ${url}`);
          if (allowed) assert.equal(r.statusCode, 200, `${role} ${method} ${url}: ${r.body}`);
          else {
            assert.equal(r.statusCode, 403, `${role} ${method} ${url}: ${r.body}`);
            assert.equal(r.json().error.code, 'FORBIDDEN');
          }
          checked++;
        }
      }
      assert.equal(checked, 45);
      assert.equal((await t.call('GET', '/v1/secrets/role_probe')).json().version, 1, 'no denied call changed anything');
      assert.equal((await t.call('GET', '/v1/secrets', { key: null })).statusCode, 401);
    });

    it("another tenant's secrets do not exist for this one (404, empty list, independent names)", async () => {
      await create('tenant_probe', 'tenant-probe-value');
      for (const [method, url, body] of [
        ['GET', '/v1/secrets/tenant_probe', undefined],
        ['POST', '/v1/secrets/tenant_probe/rotate', { value: 'zzzz' }],
        ['DELETE', '/v1/secrets/tenant_probe', undefined],
      ] as const) {
        const r = await t.call(method, url, { key: otherAdmin, body });
        assert.equal(r.statusCode, 404, `${method} ${url}`);
      }
      const list = await t.call('GET', '/v1/secrets', { key: otherAdmin });
      assert.ok(!list.json().data.some((s: { name: string }) => s.name === 'tenant_probe'));
      const same = await t.call('POST', '/v1/secrets', { key: otherAdmin, body: { name: 'tenant_probe', value: 'their-own-value' } });
      assert.equal(same.statusCode, 201, 'the same name in another tenant is another secret');
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'tenant_probe' }), 'tenant-probe-value');
      assert.equal(await t.engine.secrets.readValue({ tenantId: otherTenant, name: 'tenant_probe' }), 'their-own-value');
    });

    it('Idempotency-Key replays a create; the stored request hash cannot be checked against a guessed value', async () => {
      const value = 'guessable';
      const headers = { 'idempotency-key': `k-${randomUUID()}` };
      const first = await t.call('POST', '/v1/secrets', { body: { name: 'idem_secret', value }, headers });
      const second = await t.call('POST', '/v1/secrets', { body: { name: 'idem_secret', value }, headers });
      assert.equal(first.statusCode, 201);
      assert.equal(second.statusCode, 201);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.json(), first.json());
      const other = await t.call('POST', '/v1/secrets', { body: { name: 'idem_secret', value: 'another' }, headers });
      assert.equal(other.statusCode, 422);
      assert.equal(other.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      const row = await t.store.allTenants(t.store.db).selectFrom('idempotency_keys').selectAll().where('key', '=', headers['idempotency-key']).executeTakeFirstOrThrow();
      const naive = createHash('sha256').update(`/v1/secrets\n{"name":"idem_secret","value":"guessable"}`).digest('hex');
      assert.notEqual(row.request_hash, naive, 'the hash covers a keyed fingerprint, not the value');
      assert.ok(!row.response.includes(value));
    });

    it('at rest: a database dump holds no value, in any encoding', async () => {
      const canary = `canary-${randomBytes(16).toString('hex')}`;
      await create('dump_canary', canary);
      await t.call('POST', '/v1/secrets/dump_canary/rotate', { body: { value: `${canary}-v2` } });
      await t.store.writer.drain();
      const dump = dumpDatabase(d.name, db);
      assert.ok(dump.includes('dump_canary'), 'the dump holds the name (sanity check of the dump)');
      for (const form of [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')]) {
        assert.ok(!dump.includes(form), `no plaintext (${form.slice(0, 12)}…) in the dump`);
      }
      assert.ok(!dump.includes(keyring.current.key.toString('base64')) && !dump.includes(keyring.current.key.toString('hex')), 'nor the master key');
    });

    it('a ciphertext moved to another secret, version or tenant fails to decrypt (SECRET_UNREADABLE)', async () => {
      await create('move_a', 'value-of-move-a');
      await create('move_b', 'value-of-move-b');
      await create('move_a', 'value-of-move-a-in-other', otherAdmin);
      await t.call('POST', '/v1/secrets/move_a/rotate', { body: { value: 'value-of-move-a-v2' } });
      const source = await t.store.db.selectFrom('secret_versions').selectAll().where('tenant_id', '=', t.tenantId).where('name', '=', 'move_a').where('version', '=', 1).executeTakeFirstOrThrow();
      const sealed = Object.fromEntries([...COLUMNS, 'kek_id'].map((c) => [c, source[c as keyof typeof source]]));
      const overwrite = (tenantId: string, name: string, version: number) =>
        t.store.db.updateTable('secret_versions').set(sealed).where('tenant_id', '=', tenantId).where('name', '=', name).where('version', '=', version).execute();

      await overwrite(t.tenantId, 'move_b', 1);
      await unreadable(t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'move_b' }), 'copied to another secret');
      await overwrite(otherTenant, 'move_a', 1);
      await unreadable(t.engine.secrets.readValue({ tenantId: otherTenant, name: 'move_a' }), 'copied to another tenant');
      await overwrite(t.tenantId, 'move_a', 2);
      await unreadable(t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'move_a' }), 'copied to another version');
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'move_a', version: 1 }), 'value-of-move-a', 'the original still opens');
      // Leave no damaged rows behind for the rewrap test.
      for (const [name, key] of [['move_a', undefined], ['move_b', undefined], ['move_a', otherAdmin]] as const) {
        assert.equal((await t.call('DELETE', `/v1/secrets/${name}`, { key })).statusCode, 200);
      }
    });

    it('a flipped bit in any column is SECRET_UNREADABLE, never an empty or altered value', async () => {
      await create('tamper_me', 'value-of-tamper-me');
      const original = await t.store.db.selectFrom('secret_versions').selectAll().where('tenant_id', '=', t.tenantId).where('name', '=', 'tamper_me').executeTakeFirstOrThrow();
      const setColumn = (column: string, v: string) =>
        t.store.db.updateTable('secret_versions').set({ [column]: v }).where('tenant_id', '=', t.tenantId).where('name', '=', 'tamper_me').where('version', '=', 1).execute();
      let tried = 0;
      for (const column of COLUMNS) {
        for (const bit of [0, 5, 13]) {
          await setColumn(column, flipBit(original[column], bit));
          await unreadable(t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'tamper_me' }), `${column} bit ${bit}`);
          tried++;
        }
        for (const junk of ['', 'not base64!', original[column].slice(0, -4)]) {
          await setColumn(column, junk);
          await unreadable(t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'tamper_me' }), `${column} = ${JSON.stringify(junk.slice(0, 10))}`);
          tried++;
        }
        await setColumn(column, original[column]);
      }
      await setColumn('kek_id', 'kek_0000000000000000');
      await unreadable(t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'tamper_me' }), 'unknown master key id');
      await setColumn('kek_id', original.kek_id);
      assert.equal(tried, COLUMNS.length * 6);
      assert.equal(await t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'tamper_me' }), 'value-of-tamper-me', 'restored, it opens again');
    });

    it('master-key rotation keeps old versions readable; rewrap moves them to the new key id; then the old key can go', async () => {
      await create('rotating', 'value-under-k1');
      const k2 = randomBytes(32);
      const withBoth = new Keyring(k2, { previous: [keyring.current.key] });
      const engine2 = createEngine({ store: t.store, clock: t.clock, keyring: withBoth });
      const app2 = await buildApp({ engine: engine2 });
      const call2 = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
        const r = await app2.inject({ method, url, headers: { authorization: `Bearer ${t.adminKey}` }, ...(body !== undefined ? { payload: body as object } : {}) });
        return { status: r.statusCode, json: r.json() };
      };
      try {
        assert.equal(await engine2.secrets.readValue({ tenantId: t.tenantId, name: 'rotating' }), 'value-under-k1', 'readable with the previous key');
        const rot = await call2('POST', '/v1/secrets/rotating/rotate', { value: 'value-under-k2' });
        assert.equal(rot.status, 200);
        assert.equal(rot.json.kek_id, withBoth.current.id, 'new versions use the current key');
        const before = (await call2('GET', '/v1/secrets/rotating')).json;
        assert.deepEqual(
          before.versions.map((v: { kek_id: string }) => v.kek_id),
          [withBoth.current.id, keyring.current.id],
        );

        const onlyNew = (): Engine => createEngine({ store: t.store, clock: t.clock, keyring: new Keyring(k2) });
        await unreadable(onlyNew().secrets.readValue({ tenantId: t.tenantId, name: 'rotating', version: 1 }), 'before rewrap, the new key alone cannot read v1');
        assert.ok((await onlyNew().secrets.unknownKeyVersions()).get(keyring.current.id)! >= 1, 'the startup check names the missing key');

        const rewrap = await call2('POST', '/v1/secrets/rewrap', {});
        assert.equal(rewrap.status, 200);
        assert.equal(rewrap.json.kek_id, withBoth.current.id);
        assert.ok(rewrap.json.rewrapped >= 1);
        assert.deepEqual(rewrap.json.failed, []);
        const after = (await call2('GET', '/v1/secrets/rotating')).json;
        assert.deepEqual(
          after.versions.map((v: { kek_id: string }) => v.kek_id),
          [withBoth.current.id, withBoth.current.id],
        );
        const left = await t.store.db.selectFrom('secret_versions').select('name').where('tenant_id', '=', t.tenantId).where('kek_id', '!=', withBoth.current.id).execute();
        assert.deepEqual(left, [], "every version of the tenant's secrets moved");

        assert.equal(await onlyNew().secrets.readValue({ tenantId: t.tenantId, name: 'rotating', version: 1 }), 'value-under-k1', 'after rewrap the old key is not needed');
        assert.equal(await onlyNew().secrets.readValue({ tenantId: t.tenantId, name: 'rotating' }), 'value-under-k2');
        await unreadable(t.engine.secrets.readValue({ tenantId: t.tenantId, name: 'rotating', version: 1 }), 'the old key alone no longer opens a moved version');
        assert.equal((await call2('POST', '/v1/secrets/rewrap', {})).json.rewrapped, 0, 'a second rewrap has nothing to do');
        // The other tenant was not touched: its admin runs its own rewrap.
        const theirs = await t.store.db.selectFrom('secret_versions').select('kek_id').where('tenant_id', '=', otherTenant).execute();
        assert.ok(theirs.length > 0 && theirs.every((r) => r.kek_id === keyring.current.id));
      } finally {
        await app2.close();
      }
    });

    it('rewrap reports, and leaves alone, versions it cannot open', async () => {
      const tenant = (await t.engine.tenants.create({ name: 'rewrap-report' })).id;
      const admin = await t.keyFor('admin', tenant);
      await create('fine', 'value-fine', admin);
      await create('broken', 'value-broken', admin);
      const row = await t.store.db.selectFrom('secret_versions').selectAll().where('tenant_id', '=', tenant).where('name', '=', 'broken').executeTakeFirstOrThrow();
      await t.store.db.updateTable('secret_versions').set({ ciphertext: flipBit(row.ciphertext) }).where('tenant_id', '=', tenant).where('name', '=', 'broken').execute();
      const engine2 = createEngine({ store: t.store, clock: t.clock, keyring: new Keyring(randomBytes(32), { previous: [keyring.current.key] }) });
      const result = await engine2.secrets.rewrap({ tenantId: tenant });
      assert.equal(result.rewrapped, 1);
      assert.equal(result.failed.length, 1);
      assert.equal(result.failed[0].name, 'broken');
      assert.match(result.failed[0].reason, /failed authentication/);
      const still = await t.store.db.selectFrom('secret_versions').select('kek_id').where('tenant_id', '=', tenant).where('name', '=', 'broken').executeTakeFirstOrThrow();
      assert.equal(still.kek_id, keyring.current.id, 'a damaged version is not re-wrapped (that would hide the damage)');
    });

    it('grants need an existing secret and agent', async () => {
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      const noSecret = await t.call('POST', '/v1/grants', { body: { secret: 'no_such', agent: 'hello' } });
      assert.equal(noSecret.statusCode, 404);
      assert.equal(noSecret.json().error.code, 'SECRET_NOT_FOUND');
    });
  });
}
