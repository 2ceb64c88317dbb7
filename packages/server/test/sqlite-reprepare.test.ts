/**
 * SQLite prepares each hot statement once (store/sqlite/sqlite-compiler.ts). With a bare `?`,
 * SQLite re-prepares a statement on every execution whose plan may depend on a bound value (an
 * equality beside ORDER BY or a join, `LIMIT ?`), and node:sqlite rebinds on every call. The
 * authorizer is called while a statement is compiled, never while it runs, so its calls count
 * the compilations.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import type { Database, Store } from '../src/store/index.ts';
import { createSqliteDatabase, type TestDatabase } from './helpers/dialects.ts';

describe('SQLite statements are prepared once, not on every execution', () => {
  let db: TestDatabase;
  let store: Store;
  let raw: DatabaseSync;
  let compilations = 0;

  before(async () => {
    db = await createSqliteDatabase();
    store = await db.open(() => 1_000, { checkTenantScope: false });
    raw = new DatabaseSync(join(db.location, 'agentd.db'));
    raw.setAuthorizer(() => {
      compilations++;
      return 0; // SQLITE_OK
    });
  });
  after(async () => {
    raw?.close();
    await store?.close();
    await db?.cleanup();
  });

  /** Hot statements as the store's own Kysely writes them: the read connection's and, inside a write, the writer's. */
  const statements = async (): Promise<{ name: string; compiled: CompiledQuery; args: (i: number) => unknown[] }[]> => {
    const page = store.db.selectFrom('runs').selectAll().where('tenant_id', '=', 'default').where('agent', '=', 'a').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(51).compile();
    const events = store.db.selectFrom('run_events').selectAll().where('tenant_id', '=', 'default').where('id', '>', 0).orderBy('id').limit(100).compile();
    const join = store.db
      .selectFrom('grants as g')
      .innerJoin('secret_versions as v', (j) => j.onRef('v.tenant_id', '=', 'g.tenant_id').onRef('v.name', '=', 'g.secret'))
      .selectAll('v')
      .where('g.tenant_id', '=', 'default')
      .where('g.agent', 'in', ['a'])
      .compile();
    const inWrite = await store.writer.write(async ({ trx }) => trx.selectFrom('runs').selectAll().where('tenant_id', '=', 'default').where('status', '=', 'queued').orderBy('created_at').limit(10).compile());
    const rawTemplate = sql`select * from runs where tenant_id = ${'default'} order by created_at limit ${5}`.compile(store.db);
    return [
      { name: 'a runs list page', compiled: page, args: (i) => ['default', `agent-${i}`, 51 + (i % 3)] },
      { name: 'an events page', compiled: events, args: (i) => ['default', i, 100] },
      { name: 'a join', compiled: join, args: (i) => ['default', `agent-${i}`] },
      { name: 'a read inside a write (the writer connection)', compiled: inWrite, args: (i) => ['default', 'queued', 10 + i] },
      { name: 'an sql template', compiled: rawTemplate, args: (i) => ['default', 5 + i] },
    ];
  };

  /** Compilations of `text` over 20 executions with changing values, after its first. */
  const recompilations = (text: string, args: (i: number) => unknown[]): number => {
    const statement = raw.prepare(text);
    statement.all(...(args(0) as never[]));
    const before = compilations;
    for (let i = 1; i <= 20; i++) statement.all(...(args(i) as never[]));
    return compilations - before;
  };

  it('the store writes parameters as +? and SQLite compiles each statement once', async () => {
    for (const s of await statements()) {
      assert.match(s.compiled.sql, /\+\?/, `${s.name}: ${s.compiled.sql}`);
      assert.doesNotMatch(s.compiled.sql, /(?<!\+)\?/, `${s.name} has a bare parameter: ${s.compiled.sql}`);
      assert.equal(s.compiled.parameters.length, s.args(0).length, s.name);
      assert.equal(recompilations(s.compiled.sql, s.args), 0, `${s.name} was compiled again while it ran`);
    }
  });

  it('the same statements with bare parameters are compiled on every execution (why the compiler writes +?)', async () => {
    // Kysely's own SQLite compiler, on the same schema. Should a later SQLite stop re-preparing
    // these, this fails, and sqlite-compiler.ts may go.
    const plain = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw as never }) });
    const page = plain.selectFrom('runs').selectAll().where('tenant_id', '=', 'default').where('agent', '=', 'a').orderBy('created_at', 'desc').limit(51).compile();
    assert.doesNotMatch(page.sql, /\+\?/);
    assert.ok(recompilations(page.sql, (i) => ['default', `agent-${i}`, 51 + i]) >= 20, 'a bare-parameter list page is compiled at every execution');
  });

  it('answers the same rows with +? as with ?, the index still used', async () => {
    await store.writer.write(async ({ trx }) => {
      await sql`insert into agents (tenant_id, name, latest_version, disabled_endpoints, created_at, updated_at, deleted_at, runtime) values ('default', 'x', 1, '[]', 1, 1, null, 'worker'), ('default', 'y', 1, '[]', 2, 2, null, 'worker')`.execute(trx);
    });
    const rows = (text: string) => (raw.prepare(text).all('default', 'x', 5) as { name: string }[]).map((r) => ({ ...r }));
    assert.deepEqual(rows('select name from agents where tenant_id = +? and name = +? order by created_at limit +?'), [{ name: 'x' }]);
    assert.deepEqual(rows('select name from agents where tenant_id = ? and name = ? order by created_at limit ?'), [{ name: 'x' }]);
    const plan = (raw.prepare('explain query plan select * from runs where tenant_id = +? and agent = +? order by created_at desc, id desc limit +?').all('d', 'a', 1) as { detail: string }[]).map((r) => r.detail).join('; ');
    assert.match(plan, /USING INDEX/, plan);
  });
});
