/**
 * Precompiled statements (store/precompiled.ts): compiled once per shape, then only bound. The
 * answer is the one Kysely's builder gives for the same values, whatever the values and the
 * shape (a list's length, a flag, a value left out); each shape gets its own SQL; plugins (the
 * tenant-scope guard, the fault injector) see every execution, not only the first, and one that
 * rewrites queries is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { precompiled, type Store } from '../src/store/index.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { FaultInjector, InjectedFault } from './helpers/fault-injector.ts';

interface Params {
  tenantId: string;
  names: string[];
  after: number;
  limit: number;
  descending: boolean;
  /** Left out: no bound on created_at from above. */
  before?: number;
  /** Selected back as `label`, or 'none' when null. */
  label: string | null;
}

/** Agents of a tenant by name; a list, a flag that changes the SQL, a value used twice, one that may be left out, one that may be null. */
const AGENTS = precompiled((db, p: Params, queries) => {
  let q = db
    .selectFrom('agents')
    .select(['name', 'created_at'])
    .select(sql<string>`coalesce(${p.label}, 'none')`.as('label'))
    .where(queries.tenantIs(p.tenantId))
    .where(queries.anyOf('name', p.names))
    .where('created_at', '>', p.after)
    .where((eb) => eb.or([eb('created_at', '>', p.after), eb('name', '=', sql.lit('never'))]))
    .limit(p.limit);
  if (p.before !== undefined) q = q.where('created_at', '<', p.before);
  return p.descending ? q.orderBy('name', 'desc') : q.orderBy('name');
});

/** A plugin that rewrites every query (here: to itself, as a copy). */
class Rewriter implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return { ...args.node };
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

for (const d of await dialects()) {
  describe(`precompiled statements (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let store: Store;
    const faults = new FaultInjector();

    before(async () => {
      db = await d.create();
      store = await db.open(() => 1_000, { writerPlugins: [faults] });
      const agent = (tenant: string, name: string, at: number) => ({ tenant_id: tenant, name, latest_version: 1, disabled_endpoints: '[]', created_at: at, updated_at: at, deleted_at: null, runtime: 'worker' });
      const rows = ['a', 'b', 'c', 'd', 'e'].map((n, i) => agent('default', n, 10 * (i + 1))).concat([agent('other', 'a', 100)]);
      await store.writer.write(async ({ trx }) => {
        await store.allTenants(trx).insertInto('tenants').values({ id: 'other', name: 'other', event_seq: 0, finding_seq: 0, created_at: 1 }).onConflict((oc) => oc.doNothing()).execute();
        await trx.insertInto('agents').values(rows).execute();
      });
    });
    after(async () => {
      await store?.close();
      await db?.cleanup();
    });

    /** What Kysely's builder answers for the same values. */
    const built = (p: Params) => {
      let q = store.db
        .selectFrom('agents')
        .select(['name', 'created_at'])
        .where('tenant_id', '=', p.tenantId)
        .where('name', 'in', p.names)
        .where('created_at', '>', p.after)
        .limit(p.limit);
      if (p.before !== undefined) q = q.where('created_at', '<', p.before);
      q = p.descending ? q.orderBy('name', 'desc') : q.orderBy('name');
      return q.execute();
    };
    const names = (rows: { name: string }[]) => rows.map((r) => r.name);
    const base: Params = { tenantId: 'default', names: ['a', 'b', 'c'], after: 0, limit: 10, descending: false, label: null };

    it('answers what the builder answers, for new values in a shape it compiled and for new shapes', async () => {
      const cases: Params[] = [
        base,
        { ...base, names: ['c', 'd', 'e'], after: 30 },
        { ...base, tenantId: 'other' },
        { ...base, limit: 2 },
        { ...base, names: ['a', 'b', 'c', 'd', 'e'], after: 10, limit: 2, descending: true },
        { ...base, names: ['e'], limit: 1, descending: true },
        { ...base, after: 10, limit: 1, descending: true },
        { ...base, names: ['a', 'b', 'c', 'd', 'e'], before: 35 },
        { ...base, names: ['a', 'b', 'c', 'd', 'e'], before: 25, limit: 1 },
        { ...base, names: ['a', 'b', 'c', 'd', 'e'] },
      ];
      for (const p of cases) {
        const rows = await store.queries.statements.rows(store.db, AGENTS, p);
        assert.deepEqual(names(rows), names(await built(p)), JSON.stringify(p));
        assert.ok(rows.length > 0, `the case ${JSON.stringify(p)} selects something`);
      }
      const rows = (p: Params) => store.queries.statements.rows(store.db, AGENTS, p);
      assert.deepEqual(names(await rows(cases[1])), ['d', 'e']);
      assert.deepEqual(names(await rows(cases[3])), ['a', 'b'], 'the limit is bound, not the first call\'s');
      assert.deepEqual(names(await rows(cases[4])), ['e', 'd']);
      assert.deepEqual(names(await rows(cases[7])), ['a', 'b', 'c']);
      assert.deepEqual(names(await rows(cases[9])), ['a', 'b', 'c', 'd', 'e'], 'a value left out is a shape of its own');
    });

    it('binds null and a value alike in one shape', async () => {
      const label = async (l: string | null) => (await store.queries.statements.rows(store.db, AGENTS, { ...base, names: ['a'], label: l }))[0]?.label;
      assert.equal(await label(null), 'none');
      assert.equal(await label('x'), 'x');
      assert.equal(await label(null), 'none');
    });

    it('refuses a plugin that rewrites queries, whose rewrite could not reach the compiled SQL', async () => {
      await assert.rejects(store.queries.statements.rows(store.db.withPlugin(new Rewriter()), AGENTS, base), /rewrites queries/);
    });

    it('runs inside a write, where the fault injector sees every execution', async () => {
      const p: Params = { ...base, names: ['a'], limit: 5 };
      assert.deepEqual(names(await store.writer.write(({ trx }) => store.queries.statements.rows(trx, AGENTS, p))), ['a']);
      for (let i = 0; i < 2; i++) {
        faults.failAfter(1);
        await assert.rejects(
          store.writer.write(({ trx }) => store.queries.statements.rows(trx, AGENTS, p)),
          (err: unknown) => err instanceof InjectedFault,
        );
        faults.disarm();
      }
      assert.equal(faults.faults, 2);
    });

    it('the tenant-scope guard sees a statement that names no tenant, at every execution', async () => {
      const UNSCOPED = precompiled((q, p: { name: string }) => q.selectFrom('agents').select('name').where('name', '=', p.name));
      for (let i = 0; i < 2; i++) await assert.rejects(store.queries.statements.rows(store.db, UNSCOPED, { name: 'a' }), /tenant_id/);
      assert.deepEqual(names(await store.queries.statements.rows(store.allTenants(store.db), UNSCOPED, { name: 'b' })), ['b']);
    });
  });
}
