/**
 * The two dialects' migrations are written separately; this keeps them saying the same thing.
 * After migrating, SQLite and PostgreSQL must agree on: the tables; each column's nullability,
 * type family (integer / real / text / …) and default; primary keys and UNIQUE constraints as
 * ordered column lists (their names differ per dialect); and each index by name with its ordered
 * columns (DESC included), uniqueness and partial-index predicate; foreign keys by their columns,
 * referenced table and columns and ON DELETE action. Both are read from the
 * catalogs and canonicalised (test/helpers/schema-introspection.ts, sql-expression.ts), then
 * pinned to a committed snapshot, so a schema change is always a reviewed diff (regenerate with
 * UPDATE_SCHEMA_SNAPSHOT=1). The Kysely table types (src/store/db-types.ts) are checked against
 * the migrated schema too.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createPostgresDatabase, createSqliteDatabase, dialects, type TestDatabase } from './helpers/dialects.ts';
import { canonical, postgresSchema, schemaDifferences, sqliteSchema, type RawSchema, type Schema } from './helpers/schema-introspection.ts';
import { canonicalExpression } from './helpers/sql-expression.ts';
import { parseDbTypes, readDbTypes, typeDifferences } from './helpers/kysely-types.ts';
import type { Store } from '../src/store/store.ts';

const SNAPSHOT = new URL('./schema-snapshot.json', import.meta.url);
/** store/migrate.ts's own bookkeeping, read and written by raw SQL only: no Kysely table type. */
const UNTYPED = new Set(['agentd_migrations']);

const [, pg] = await dialects();

/**
 * Tables only PostgreSQL has, and why: rate_limit_buckets holds request-rate buckets the nodes
 * share; SQLite is one node and keeps them in memory.
 */
const POSTGRES_ONLY = ['rate_limit_buckets'];

describe('schema parity of the two dialects', () => {
  let db: TestDatabase;
  let store: Store;
  let sqlite: Schema;
  before(async () => {
    db = await createSqliteDatabase();
    store = await db.open(() => Date.now());
    sqlite = canonical('sqlite', await sqliteSchema(store.db));
  });
  after(async () => {
    await store.close();
    await db.cleanup();
  });

  it('SQLite matches the committed snapshot', () => {
    if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(sqlite, null, 2)}\n`);
    const snapshot = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Schema;
    assert.deepEqual(schemaDifferences(sqlite, snapshot, ['SQLite', 'the snapshot']), [], 'schema changed: review it and run with UPDATE_SCHEMA_SNAPSHOT=1');
    assert.deepEqual(sqlite, snapshot);
  });

  it('PostgreSQL matches SQLite: columns, types, defaults, keys, unique constraints, foreign keys, indexes and predicates', { skip: pg.skip }, async () => {
    const pdb = await createPostgresDatabase();
    const pstore = await pdb.open(() => Date.now());
    try {
      const postgres = canonical('postgres', await postgresSchema(pstore.db));
      for (const t of POSTGRES_ONLY) {
        assert.ok(postgres[t], `PostgreSQL has ${t}`);
        delete postgres[t];
      }
      assert.deepEqual(schemaDifferences(sqlite, postgres, ['SQLite', 'PostgreSQL']), []);
      assert.deepEqual(postgres, JSON.parse(readFileSync(SNAPSHOT, 'utf8')));
    } finally {
      await pstore.close();
      await pdb.cleanup();
    }
  });

  it('the Kysely table types match the migrated schema: tables, columns, nullability, types', () => {
    assert.deepEqual(typeDifferences(readDbTypes(), sqlite, UNTYPED), []);
  });
});

/** One table as each dialect's catalog reports it: the same schema, rendered two ways. */
function renderings(): { sqlite: RawSchema; postgres: RawSchema } {
  return {
    sqlite: {
      jobs: {
        columns: {
          id: { type: 'TEXT', nullable: false, default: null },
          status: { type: 'TEXT', nullable: false, default: "'queued'" },
          tags: { type: 'TEXT', nullable: false, default: "'[]'" },
          priority: { type: 'INTEGER', nullable: false, default: '-1' },
          lease_id: { type: 'TEXT', nullable: true, default: null },
        },
        primaryKey: ['id'],
        unique: [['status', 'lease_id']],
        foreignKeys: ['(lease_id) -> leases(id) ON DELETE NO ACTION'],
        indexes: {
          jobs_ready: { columns: ['status', 'priority DESC', 'id'], unique: false, where: "lease_id IS NOT NULL AND status IN ('queued', 'running')" },
          jobs_one: { columns: ['lease_id'], unique: true, where: `"status" = 'running' OR (status != 'queued' AND priority > 0)` },
        },
      },
    },
    postgres: {
      jobs: {
        columns: {
          priority: { type: 'integer', nullable: false, default: "'-1'::integer" },
          id: { type: 'text', nullable: false, default: null },
          status: { type: 'text', nullable: false, default: "'queued'::text" },
          tags: { type: 'character varying', nullable: false, default: "'[]'::character varying" },
          lease_id: { type: 'text', nullable: true, default: null },
        },
        primaryKey: ['id'],
        unique: [['status', 'lease_id']],
        foreignKeys: ['(lease_id) -> leases(id) ON DELETE NO ACTION'],
        indexes: {
          jobs_ready: { columns: ['status', 'priority DESC', 'id'], unique: false, where: "((lease_id IS NOT NULL) AND (status = ANY (ARRAY['queued'::text, 'running'::text])))" },
          jobs_one: { columns: ['lease_id'], unique: true, where: "((status = 'running'::text) OR ((status <> 'queued'::text) AND (priority > 0)))" },
        },
      },
    },
  };
}

describe('the schema comparison fails on a difference', () => {
  const differences = (change: (pg: RawSchema['jobs']) => void): string[] => {
    const r = renderings();
    change(r.postgres.jobs);
    return schemaDifferences(canonical('sqlite', r.sqlite), canonical('postgres', r.postgres), ['SQLite', 'PostgreSQL']);
  };

  it('the two dialects\' renderings of one schema compare equal', () => {
    assert.deepEqual(differences(() => {}), []);
    assert.equal(canonicalExpression("(status = ANY (ARRAY['a'::text, 'b'::text]))"), "status IN ('a', 'b')");
    assert.equal(canonicalExpression("status IN ('a')"), "status = 'a'");
    assert.equal(canonicalExpression('(a OR b) AND c'), '(a OR b) AND c');
    assert.equal(canonicalExpression('a OR (b AND c)'), 'a OR b AND c');
  });

  it('finds a different type family, default or nullability', () => {
    assert.deepEqual(differences((t) => (t.columns.priority.type = 'double precision')), ['column jobs.priority family: "integer" in SQLite, "real" in PostgreSQL']);
    assert.deepEqual(differences((t) => (t.columns.tags.default = "'{}'::text")), [`column jobs.tags default: "'[]'" in SQLite, "'{}'" in PostgreSQL`]);
    assert.deepEqual(differences((t) => (t.columns.priority.default = '1')), ['column jobs.priority default: "-1" in SQLite, "1" in PostgreSQL']);
    assert.deepEqual(differences((t) => (t.columns.lease_id.nullable = false)), ['column jobs.lease_id nullable: true in SQLite, false in PostgreSQL']);
    assert.deepEqual(differences((t) => delete t.columns.tags), ['column jobs.tags: only in SQLite']);
  });

  it('finds a different key, unique constraint, foreign key, index column, order, direction or uniqueness', () => {
    assert.deepEqual(differences((t) => (t.foreignKeys = ['(lease_id) -> leases(id) ON DELETE CASCADE'])), [
      'table jobs foreign keys: ["(lease_id) -> leases(id) ON DELETE NO ACTION"] in SQLite, ["(lease_id) -> leases(id) ON DELETE CASCADE"] in PostgreSQL',
    ]);
    assert.deepEqual(differences((t) => (t.primaryKey = ['id', 'status'])), ['table jobs primary key: ["id"] in SQLite, ["id","status"] in PostgreSQL']);
    assert.deepEqual(differences((t) => (t.unique = [['lease_id', 'status']])), ['table jobs unique constraints: [["status","lease_id"]] in SQLite, [["lease_id","status"]] in PostgreSQL']);
    assert.deepEqual(differences((t) => (t.indexes.jobs_ready.columns = ['status', 'priority', 'id'])), ['index jobs.jobs_ready columns: ["status","priority DESC","id"] in SQLite, ["status","priority","id"] in PostgreSQL']);
    assert.deepEqual(differences((t) => (t.indexes.jobs_ready.columns = ['status', 'lease_id', 'id'])).length, 1);
    assert.deepEqual(differences((t) => (t.indexes.jobs_one.unique = false)), ['index jobs.jobs_one unique: true in SQLite, false in PostgreSQL']);
    assert.deepEqual(differences((t) => delete t.indexes.jobs_one), ['index jobs.jobs_one: only in SQLite']);
  });

  it('finds a different partial-index predicate', () => {
    assert.deepEqual(differences((t) => (t.indexes.jobs_ready.where = "((lease_id IS NOT NULL) AND (status = ANY (ARRAY['queued'::text, 'waiting'::text])))")), [
      `index jobs.jobs_ready where: "lease_id IS NOT NULL AND status IN ('queued', 'running')" in SQLite, "lease_id IS NOT NULL AND status IN ('queued', 'waiting')" in PostgreSQL`,
    ]);
    assert.equal(differences((t) => (t.indexes.jobs_ready.where = "(lease_id IS NULL) AND (status = ANY (ARRAY['queued'::text, 'running'::text]))")).length, 1);
    // The same operators bracketed differently are a different predicate.
    assert.equal(differences((t) => (t.indexes.jobs_one.where = "(((status = 'running'::text) OR (status <> 'queued'::text)) AND (priority > 0))")).length, 1);
    assert.equal(differences((t) => (t.indexes.jobs_one.where = null)).length, 1);
  });

  it('refuses a type it has no family for, rather than comparing it as text', () => {
    assert.throws(() => differences((t) => (t.columns.tags.type = 'tsvector')), /no type family for postgres type "tsvector"/);
  });
});

describe('the Kysely type check fails on a difference', () => {
  const schema = (): Schema => canonical('sqlite', renderings().sqlite);
  const types = (jobs: string) => parseDbTypes(`export interface JobsTable {\n${jobs}\n}\nexport interface Database {\n  jobs: JobsTable;\n}\n`);
  const good = "id: string;\nstatus: 'queued' | 'running';\ntags: string;\n/** a comment */\npriority?: number;\nlease_id: string | null;";

  it('accepts matching types', () => {
    assert.deepEqual(typeDifferences(types(good), schema(), new Set()), []);
  });

  it('finds a wrong type, nullability, optional key, missing or extra column, missing table', () => {
    assert.deepEqual(typeDifferences(types(good.replace('priority?: number', 'priority?: string')), schema(), new Set()), ['jobs.priority: integer column typed string (want number)']);
    assert.deepEqual(typeDifferences(types(good.replace('lease_id: string | null', 'lease_id: string')), schema(), new Set()), ['jobs.lease_id: the column is nullable, the type lacks `| null`']);
    assert.deepEqual(typeDifferences(types(good.replace('tags: string', 'tags: string | null')), schema(), new Set()), ['jobs.tags: the column is NOT NULL, the type includes `| null`']);
    assert.deepEqual(typeDifferences(types(good.replace('id: string', 'id?: string')), schema(), new Set()), ['jobs.id: optional in the type, but NOT NULL with no default']);
    assert.deepEqual(typeDifferences(types(good.replace('tags: string;', '')), schema(), new Set()), ['column jobs.tags: not in its table type']);
    assert.deepEqual(typeDifferences(types(`${good}\nextra: number;`), schema(), new Set()), ['jobs.extra: in the table type, not in the migrated table']);
    const more = { ...schema(), other: schema().jobs };
    assert.deepEqual(typeDifferences(types(good), more, new Set()), ['table other: not in the Database interface']);
    assert.throws(() => types(`${good}\nx: Generated<number>;`), /generic types/);
  });
});
