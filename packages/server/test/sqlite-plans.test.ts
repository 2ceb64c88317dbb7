/**
 * SQLite plans of statements that join runs: SQLite keeps no statistics, so a plain `tenant_id`
 * equality on runs looks selective and, beside a long `IN` list on the other table, becomes the
 * way the planner finds the rows (runs_list: every run of the tenant). The statements keep it out
 * of index selection (DialectQueries.tenantIs); here a batch of 100 leases must be found by lease.
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { leaseAttemptsQuery } from '../src/runs/index.ts';
import type { Store } from '../src/store/index.ts';
import { createSqliteDatabase, type TestDatabase } from './helpers/dialects.ts';

describe('SQLite plans of the statements that join runs', () => {
  let db: TestDatabase;
  let store: Store;
  let raw: DatabaseSync;

  before(async () => {
    db = await createSqliteDatabase();
    store = await db.open(() => Date.now());
    raw = new DatabaseSync(join(db.location, 'agentd.db'), { readOnly: true });
  });
  after(async () => {
    raw?.close();
    await store?.close();
    await db?.cleanup();
  });

  it("a batch of leases' attempts (the scrubbers, the worker-key scope) is found by lease, not by walking the tenant's runs", () => {
    const leases = Array.from({ length: 100 }, (_, i) => `lse_${i}`);
    const { sql, parameters } = leaseAttemptsQuery(store.db, store.queries, 'ten_x', leases).compile();
    const plan = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(parameters as string[])).map((r) => String(r.detail));
    assert.ok(plan.some((p) => /SEARCH a USING INDEX \S+ \(lease_id=\?\)/.test(p)), plan.join('\n'));
    assert.deepEqual(plan.filter((p) => /runs_list|SCAN/.test(p)), [], plan.join('\n'));
  });
});
