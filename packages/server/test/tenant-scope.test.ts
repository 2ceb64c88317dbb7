/**
 * The tenant-scope guard the suite runs every store with (hardening item 12): a query on a
 * tenant table that names no tenant fails; `store.allTenants()` marks the ones that must span
 * tenants; every table of the schema is classified, so a new table is checked from its first query.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import type { Store } from '../src/store/store.ts';
import { TENANT_TABLES, UNSCOPED_TABLES } from '../src/store/tenant-scope-guard.ts';
import { resolveServeConfig } from '../src/config.ts';
import { childEnv } from './helpers/server-process.ts';

const schema = JSON.parse(readFileSync(new URL('./schema-snapshot.json', import.meta.url), 'utf8')) as Record<string, { columns: Record<string, unknown> }>;

describe('tenant scope: the schema', () => {
  it('classifies every table, and every tenant table has a tenant_id column', () => {
    for (const table of Object.keys(schema)) {
      assert.ok(TENANT_TABLES.has(table) || UNSCOPED_TABLES.has(table), `table ${table} is in neither TENANT_TABLES nor UNSCOPED_TABLES (store/tenant-scope-guard.ts)`);
    }
    for (const table of TENANT_TABLES) assert.ok(schema[table]?.columns.tenant_id, `${table} has no tenant_id column`);
  });
});

describe('tenant scope: the suite runs with the guard', () => {
  it('on for every server a test starts (AGENTD_CHECK_TENANT_SCOPE reaches child processes), off by default', () => {
    assert.equal(process.env.AGENTD_CHECK_TENANT_SCOPE, '1', 'scripts/test.ts sets AGENTD_CHECK_TENANT_SCOPE=1 for the run');
    assert.equal(childEnv({}).AGENTD_CHECK_TENANT_SCOPE, '1', 'childEnv keeps it while it drops every other AGENTD_*');
    assert.equal(resolveServeConfig({}, { AGENTD_CHECK_TENANT_SCOPE: '1' }).checkTenantScope, true);
    assert.equal(resolveServeConfig({}, {}).checkTenantScope, false, 'production: off unless asked for');
  });

  it('on for every store a test opens', async () => {
    const [d] = await dialects();
    const db = await d.create();
    const store = await db.open(() => Date.now());
    try {
      await assert.rejects(store.db.selectFrom('runs').select('id').where('id', '=', 'run_x').execute(), /tenant scope/);
    } finally {
      await store.close();
      await db.cleanup();
    }
  });
});

for (const d of await dialects()) {
  describe(`tenant scope guard (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let store: Store;
    before(async () => {
      db = await d.create();
      store = await db.open(() => Date.now(), { checkTenantScope: true });
    });
    after(async () => {
      await store.close();
      await db.cleanup();
    });

    it('lets a query through that names its tenant', async () => {
      const rows = await store.db.selectFrom('runs').select('id').where('tenant_id', '=', 'default').where('id', '=', 'run_x').execute();
      assert.deepEqual(rows, []);
    });

    it('fails a select, update, delete or raw query on a tenant table without one', async () => {
      await assert.rejects(store.db.selectFrom('runs').select('id').where('id', '=', 'run_x').execute(), /tenant scope: select on runs/);
      await assert.rejects(store.db.updateTable('api_keys').set({ revoked_at: 1 }).where('id', '=', 'key_x').execute(), /tenant scope: update on api_keys/);
      await assert.rejects(store.db.deleteFrom('idempotency_keys').where('created_at', '<', 0).execute(), /tenant scope: delete on idempotency_keys/);
      await assert.rejects(sql`SELECT id FROM runs WHERE id = ${'run_x'}`.execute(store.db), /tenant scope: raw SQL on runs/);
      // A join counts too: the joined tenant table is named, no tenant is.
      await assert.rejects(
        store.db.selectFrom('tenants').innerJoin('runs', 'runs.tenant_id', 'tenants.id').select('runs.id').where('tenants.name', '=', 'x').execute(),
        /tenant scope: select on runs/,
      );
    });

    it('fails inside a write operation too, and the operation rolls back', async () => {
      await assert.rejects(
        store.writer.write(async ({ trx }) => {
          await trx.updateTable('tenants').set({ name: 'renamed' }).where('id', '=', 'default').execute();
          await trx.selectFrom('agents').select('name').where('name', '=', 'x').execute();
        }),
        /tenant scope: select on agents/,
      );
      const t = await store.db.selectFrom('tenants').select('name').where('id', '=', 'default').executeTakeFirstOrThrow();
      assert.equal(t.name, 'Default');
    });

    it('lets through what allTenants() marks, outside and inside a write operation', async () => {
      assert.deepEqual(await store.allTenants(store.db).selectFrom('runs').select('id').where('id', '=', 'run_x').execute(), []);
      const n = await store.writer.write(async ({ trx }) => {
        const rows = await store.allTenants(trx).selectFrom('runs').select('id').where('lease_expires_at', '<', 0).execute();
        return rows.length;
      });
      assert.equal(n, 0);
      // The mark is on the builder it returns, not on the store.
      await assert.rejects(store.db.selectFrom('runs').select('id').where('id', '=', 'run_x').execute(), /tenant scope/);
    });

    it('does not check the tables that have no tenant', async () => {
      const rows = await store.db.selectFrom('tenants').select('id').where('id', '=', 'default').execute();
      assert.equal(rows.length, 1);
    });
  });
}
