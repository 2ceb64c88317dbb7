/**
 * PostgreSQL: small statements are prepared once per connection; statements whose text grows with
 * a batch are not; a table changed under a prepared statement (another node migrated) costs no
 * failed request outside a transaction, and one failed transaction attempt inside one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery, Kysely, sql } from 'kysely';
import pg from 'pg';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { createPgPool, postgresDialect } from '../src/store/postgres/postgres-dialect.ts';
import { MAX_PREPARED_PARAMS, PREPARE } from '../src/store/postgres/prepared-statements.ts';

const postgres = (await dialects()).find((d) => d.name === 'postgres')!;

describe('prepared statements (postgres)', { skip: postgres.skip }, () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  // One connection, so what one query prepared the next one sees.
  let k: Kysely<Record<string, never>>;

  before(async () => {
    db = await postgres.create();
    pool = createPgPool(db.location, 1);
    k = new Kysely({ dialect: postgresDialect(pool) });
    await sql`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`.execute(k);
    await sql`INSERT INTO items VALUES (1, 'one'), (2, 'two')`.execute(k);
  });
  after(async () => {
    await k?.destroy();
    await db?.cleanup();
  });

  const prepared = async () => (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(k)).rows.map((r) => r.statement);

  it('prepares a statement with few parameters, once, and not one with many', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await sql<{ name: string }>`SELECT name FROM items WHERE id = ${1}`.execute(k)).rows[0].name, 'one');
    const ids = Array.from({ length: MAX_PREPARED_PARAMS + 1 }, (_, i) => i);
    const many = await sql<{ id: number }>`SELECT id FROM items WHERE id IN (${sql.join(ids)})`.execute(k);
    assert.equal(many.rows.length, 2);
    const statements = await prepared();
    assert.equal(statements.filter((s) => s.includes('WHERE id = $1')).length, 1, 'prepared once');
    assert.equal(statements.filter((s) => s.includes('IN (')).length, 0, 'the long one is not prepared');
  });

  it('prepares a statement marked PREPARE whatever its number of parameters (array parameters: same text for any batch)', async () => {
    const ids = Array.from({ length: MAX_PREPARED_PARAMS + 4 }, (_, i) => i);
    const text = `${PREPARE}SELECT count(*)::int AS n FROM items WHERE ${ids.map((i) => `id <> $${i + 1}`).join(' AND ')}`;
    for (let i = 0; i < 2; i++) assert.equal((await k.executeQuery<{ n: number }>(CompiledQuery.raw(text, ids.map((x) => x + 100)))).rows[0].n, 2);
    assert.equal((await prepared()).filter((s) => s.includes('id <> $20')).length, 1, 'prepared once');
  });

  it('survives a table changed under a prepared SELECT *: at once outside a transaction, on retry inside one', async () => {
    const byId = (id: number) => sql<Record<string, unknown>>`SELECT * FROM items WHERE id = ${id}`;
    assert.deepEqual((await byId(2).execute(k)).rows[0], { id: 2, name: 'two' });
    const other = new pg.Client({ connectionString: db.location });
    await other.connect();
    try {
      await other.query('ALTER TABLE items ADD COLUMN note TEXT');
      assert.deepEqual((await byId(2).execute(k)).rows[0], { id: 2, name: 'two', note: null }, 'outside a transaction: no error');
      await other.query('ALTER TABLE items ADD COLUMN extra TEXT');
      await assert.rejects(
        k.transaction().execute(async (trx) => byId(2).execute(trx)),
        /cached plan/,
        'inside a transaction the attempt fails (PostgreSQL aborted it)',
      );
      const again = await k.transaction().execute(async (trx) => byId(2).execute(trx));
      assert.deepEqual(again.rows[0], { id: 2, name: 'two', note: null, extra: null }, 'the retried transaction works');
    } finally {
      await other.end();
    }
  });
});
