/**
 * The two dialects' migrations are written separately; this keeps them saying the same thing:
 * after migrating, SQLite and PostgreSQL have the same tables, the same columns (with the same
 * nullability) and the same index names. It also pins the schema to a committed snapshot, so a
 * schema change is always a reviewed diff (regenerate with UPDATE_SCHEMA_SNAPSHOT=1).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { createPostgresDatabase, createSqliteDatabase, dialects } from './helpers/dialects.ts';
import type { Store } from '../src/store/store.ts';

type Schema = Record<string, { columns: Record<string, { nullable: boolean }>; indexes: string[] }>;

const SNAPSHOT = new URL('./schema-snapshot.json', import.meta.url);

async function sqliteSchema(store: Store): Promise<Schema> {
  const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`.execute(store.db);
  const schema: Schema = {};
  for (const { name } of tables.rows) {
    const cols = await sql<{ name: string; notnull: number; pk: number }>`SELECT name, "notnull", pk FROM pragma_table_info(${name})`.execute(store.db);
    const idx = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ${name} AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name`.execute(store.db);
    schema[name] = {
      columns: Object.fromEntries(cols.rows.map((c) => [c.name, { nullable: c.notnull === 0 && c.pk === 0 }])),
      indexes: idx.rows.map((i) => i.name),
    };
  }
  return schema;
}

async function postgresSchema(store: Store): Promise<Schema> {
  const cols = await sql<{ table_name: string; column_name: string; is_nullable: string }>`
    SELECT table_name, column_name, is_nullable FROM information_schema.columns
    WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`.execute(store.db);
  const idx = await sql<{ tablename: string; indexname: string }>`
    SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY indexname`.execute(store.db);
  const schema: Schema = {};
  for (const c of cols.rows) {
    schema[c.table_name] ??= { columns: {}, indexes: [] };
    schema[c.table_name].columns[c.column_name] = { nullable: c.is_nullable === 'YES' };
  }
  for (const i of idx.rows) schema[i.tablename]?.indexes.push(i.indexname);
  return schema;
}

/** Column order differs between dialects (ALTER TABLE appends); compare sorted. */
function normalised(schema: Schema): Schema {
  const out: Schema = {};
  for (const t of Object.keys(schema).sort()) {
    out[t] = {
      columns: Object.fromEntries(Object.keys(schema[t].columns).sort().map((c) => [c, schema[t].columns[c]])),
      indexes: [...schema[t].indexes].sort(),
    };
  }
  return out;
}

const [, pg] = await dialects();

/**
 * Tables only PostgreSQL has, and why: rate_limit_buckets holds request-rate buckets the nodes
 * share; SQLite is one node and keeps them in memory.
 */
const POSTGRES_ONLY = ['rate_limit_buckets'];

describe('schema parity of the two dialects', () => {
  it('SQLite matches the committed snapshot', async () => {
    const db = await createSqliteDatabase();
    const store = await db.open(() => Date.now());
    try {
      const schema = normalised(await sqliteSchema(store));
      if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(schema, null, 2)}\n`);
      assert.deepEqual(schema, JSON.parse(readFileSync(SNAPSHOT, 'utf8')), 'schema changed: review it and run with UPDATE_SCHEMA_SNAPSHOT=1');
    } finally {
      await store.close();
      await db.cleanup();
    }
  });

  it('PostgreSQL has the same tables, columns, nullability and indexes', { skip: pg.skip }, async () => {
    const db = await createPostgresDatabase();
    const store = await db.open(() => Date.now());
    try {
      const schema = normalised(await postgresSchema(store));
      for (const t of POSTGRES_ONLY) {
        assert.ok(schema[t], `PostgreSQL has ${t}`);
        delete schema[t];
      }
      assert.deepEqual(schema, JSON.parse(readFileSync(SNAPSHOT, 'utf8')));
    } finally {
      await store.close();
      await db.cleanup();
    }
  });
});
