/**
 * Reads a migrated database's schema from each dialect's catalog (SQLite pragmas and
 * sqlite_master; PostgreSQL's pg_catalog) into one raw shape, and maps it to a canonical shape
 * in which the two dialects' schemas compare equal when they say the same thing.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/db-types.ts';
import { canonicalExpression } from './sql-expression.ts';

export interface RawColumn {
  /** As declared (SQLite) or information_schema.columns.data_type (PostgreSQL). */
  type: string;
  nullable: boolean;
  default: string | null;
}
export interface RawIndex {
  /** Ordered key columns, `name DESC` for a descending one. */
  columns: string[];
  unique: boolean;
  /** The partial-index predicate as the dialect renders it, or null. */
  where: string | null;
}
export interface RawTable {
  columns: Record<string, RawColumn>;
  primaryKey: string[];
  /** UNIQUE constraints (not unique indexes made by CREATE UNIQUE INDEX, which are `indexes`). */
  unique: string[][];
  /** `(col, …) -> table(col, …) ON DELETE action`, one a foreign key. */
  foreignKeys: string[];
  indexes: Record<string, RawIndex>;
}
export type RawSchema = Record<string, RawTable>;

export type Family = 'integer' | 'real' | 'numeric' | 'text' | 'blob' | 'boolean' | 'json' | 'timestamp';
export interface Column {
  family: Family;
  nullable: boolean;
  default: string | null;
}
export interface Table {
  columns: Record<string, Column>;
  primaryKey: string[];
  unique: string[][];
  foreignKeys: string[];
  indexes: Record<string, RawIndex>;
}
export type Schema = Record<string, Table>;

// These queries name catalog tables, not the app's tables; any Kysely instance runs them.
type AnyDb = Kysely<Database>;

export async function sqliteSchema(db: AnyDb): Promise<RawSchema> {
  const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`.execute(db);
  const schema: RawSchema = {};
  for (const { name } of tables.rows) {
    const cols = await sql<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>`
      SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(${name})`.execute(db);
    const table: RawTable = { columns: {}, primaryKey: [], unique: [], foreignKeys: [], indexes: {} };
    for (const c of cols.rows) {
      // SQLite lets a PRIMARY KEY column that is not an INTEGER PRIMARY KEY hold NULL unless it
      // also says NOT NULL (a documented legacy quirk); PostgreSQL never does. Harmless here: every
      // insert names its key, and the Kysely types (checked against this) declare keys non-null.
      table.columns[c.name] = { type: c.type, nullable: c.notnull === 0 && c.pk === 0, default: c.dflt_value };
    }
    table.primaryKey = cols.rows.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const fks = await sql<{ id: number; seq: number; table: string; from: string; to: string | null; on_delete: string }>`
      SELECT id, seq, "table", "from", "to", on_delete FROM pragma_foreign_key_list(${name}) ORDER BY id, seq`.execute(db);
    for (const id of [...new Set(fks.rows.map((f) => f.id))]) {
      const parts = fks.rows.filter((f) => f.id === id);
      // `REFERENCES t` without columns means t's primary key; none of ours is written so.
      if (parts.some((f) => f.to === null)) throw new Error(`${name}: a foreign key names no referenced columns; name them`);
      table.foreignKeys.push(`(${parts.map((f) => f.from).join(', ')}) -> ${parts[0].table}(${parts.map((f) => f.to).join(', ')}) ON DELETE ${parts[0].on_delete}`);
    }
    const list = await sql<{ name: string; unique: number; origin: string; partial: number }>`
      SELECT name, "unique", origin, partial FROM pragma_index_list(${name})`.execute(db);
    for (const idx of list.rows) {
      if (idx.origin === 'pk') continue; // the primary key, read from table_info above
      const xinfo = await sql<{ seqno: number; cid: number; name: string | null; desc: number; key: number }>`
        SELECT seqno, cid, name, "desc", "key" FROM pragma_index_xinfo(${idx.name}) ORDER BY seqno`.execute(db);
      const columns = xinfo.rows
        .filter((x) => x.key === 1)
        .map((x) => {
          if (x.name === null) throw new Error(`index ${idx.name} has an expression column: extend schema-introspection.ts to compare it`);
          return x.desc ? `${x.name} DESC` : x.name;
        });
      if (idx.origin === 'u') {
        table.unique.push(columns);
        continue;
      }
      const def = await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ${idx.name}`.execute(db);
      let where: string | null = null;
      if (idx.partial) {
        const m = /\)\s+WHERE\s+([\s\S]+?)\s*;?\s*$/i.exec(def.rows[0].sql);
        if (!m) throw new Error(`cannot find the WHERE of partial index ${idx.name}: ${def.rows[0].sql}`);
        where = m[1];
      }
      table.indexes[idx.name] = { columns, unique: idx.unique === 1, where };
    }
    schema[name] = table;
  }
  return schema;
}

export async function postgresSchema(db: AnyDb): Promise<RawSchema> {
  const schema: RawSchema = {};
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  for (const t of tables.rows) schema[t.table_name] = { columns: {}, primaryKey: [], unique: [], foreignKeys: [], indexes: {} };
  const cols = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }>`
    SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
    WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`.execute(db);
  for (const c of cols.rows) {
    const table = schema[c.table_name];
    if (table) table.columns[c.column_name] = { type: c.data_type, nullable: c.is_nullable === 'YES', default: c.column_default };
  }
  // Primary keys and UNIQUE constraints, their columns in key order (conkey is ordered).
  const cons = await sql<{ table_name: string; contype: string; columns: string[] }>`
    SELECT rel.relname AS table_name, con.contype,
      ARRAY(SELECT att.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.attnum ORDER BY k.ord) AS columns
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    WHERE rel.relnamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u')
    ORDER BY rel.relname, con.conname`.execute(db);
  for (const c of cons.rows) {
    const table = schema[c.table_name];
    if (!table) continue;
    if (c.contype === 'p') table.primaryKey = c.columns;
    else table.unique.push(c.columns);
  }
  const fks = await sql<{ table_name: string; columns: string[]; ref_table: string; ref_columns: string[]; on_delete: string }>`
    SELECT rel.relname AS table_name, ref.relname AS ref_table,
      ARRAY(SELECT att.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.attnum ORDER BY k.ord) AS columns,
      ARRAY(SELECT att.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute att ON att.attrelid = con.confrelid AND att.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
      CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
        WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_delete
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_class ref ON ref.oid = con.confrelid
    WHERE rel.relnamespace = current_schema()::regnamespace AND con.contype = 'f'
    ORDER BY rel.relname, con.conname`.execute(db);
  for (const f of fks.rows) {
    schema[f.table_name]?.foreignKeys.push(`(${f.columns.join(', ')}) -> ${f.ref_table}(${f.ref_columns.join(', ')}) ON DELETE ${f.on_delete}`);
  }
  // Indexes that back no constraint. indoption bit 0 is DESC; pg_get_indexdef(oid, k, true) is
  // the k-th key column (or expression) as text.
  const idx = await sql<{ table_name: string; index_name: string; unique: boolean; columns: string[]; descending: boolean[]; predicate: string | null }>`
    SELECT rel.relname AS table_name, irel.relname AS index_name, i.indisunique AS unique,
      ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS columns,
      ARRAY(SELECT (i.indoption[k - 1] & 1) = 1 FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS descending,
      pg_get_expr(i.indpred, i.indrelid) AS predicate
    FROM pg_index i
    JOIN pg_class rel ON rel.oid = i.indrelid
    JOIN pg_class irel ON irel.oid = i.indexrelid
    WHERE rel.relnamespace = current_schema()::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
    ORDER BY irel.relname`.execute(db);
  for (const i of idx.rows) {
    const table = schema[i.table_name];
    if (!table) continue;
    // pg_get_indexdef quotes a name that needs it (`"order"`); SQLite's pragma gives it bare.
    const columns = i.columns.map((c) => c.replace(/^"(.*)"$/, (_, n: string) => n.replace(/""/g, '"'))).map((c, k) => (i.descending[k] ? `${c} DESC` : c));
    table.indexes[i.index_name] = { columns, unique: i.unique, where: i.predicate };
  }
  return schema;
}

/** SQLite's declared types (as written in our migrations) by family. */
const SQLITE_FAMILIES: Record<string, Family> = {
  INTEGER: 'integer', INT: 'integer', BIGINT: 'integer',
  REAL: 'real', DOUBLE: 'real', FLOAT: 'real',
  NUMERIC: 'numeric',
  TEXT: 'text', VARCHAR: 'text', CLOB: 'text',
  BLOB: 'blob',
  BOOLEAN: 'boolean',
  JSON: 'json', JSONB: 'json',
  TIMESTAMP: 'timestamp', TIMESTAMPTZ: 'timestamp',
};
/** PostgreSQL's information_schema data_type by family. Widths (int4 vs int8) are not compared:
 *  SQLite's INTEGER is always 64-bit, so a width is a PostgreSQL-only choice. */
const POSTGRES_FAMILIES: Record<string, Family> = {
  smallint: 'integer', integer: 'integer', bigint: 'integer',
  real: 'real', 'double precision': 'real',
  numeric: 'numeric',
  text: 'text', 'character varying': 'text', character: 'text',
  bytea: 'blob',
  boolean: 'boolean',
  json: 'json', jsonb: 'json',
  'timestamp with time zone': 'timestamp', 'timestamp without time zone': 'timestamp',
};

export function family(dialect: 'sqlite' | 'postgres', type: string): Family {
  // SQLite keeps the declared type text, width and all (`VARCHAR(64)`).
  const key = dialect === 'sqlite' ? type.replace(/\(.*\)$/, '').trim().toUpperCase() : type;
  const f = (dialect === 'sqlite' ? SQLITE_FAMILIES : POSTGRES_FAMILIES)[key];
  if (!f) throw new Error(`no type family for ${dialect} type ${JSON.stringify(type)}: add it to schema-introspection.ts`);
  return f;
}

/** Families mapped, defaults and predicates canonicalised, everything in a stable order
 *  (column order differs between dialects, as ALTER TABLE appends). */
export function canonical(dialect: 'sqlite' | 'postgres', raw: RawSchema): Schema {
  const out: Schema = {};
  for (const name of Object.keys(raw).sort()) {
    const t = raw[name];
    out[name] = {
      columns: Object.fromEntries(
        Object.keys(t.columns).sort().map((c) => {
          const col = t.columns[c];
          return [c, { family: family(dialect, col.type), nullable: col.nullable, default: col.default === null ? null : canonicalExpression(col.default) }];
        }),
      ),
      primaryKey: t.primaryKey,
      unique: t.unique.map((u) => [...u]).sort((a, b) => a.join(',').localeCompare(b.join(','))),
      foreignKeys: [...t.foreignKeys].sort(),
      indexes: Object.fromEntries(
        Object.keys(t.indexes).sort().map((i) => {
          const idx = t.indexes[i];
          return [i, { columns: idx.columns, unique: idx.unique, where: idx.where === null ? null : canonicalExpression(idx.where) }];
        }),
      ),
    };
  }
  return out;
}

/** Every way two canonical schemas differ, one line each (empty when they agree). */
export function schemaDifferences(a: Schema, b: Schema, names: [string, string] = ['a', 'b']): string[] {
  const out: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  const keys = (x: object, y: object) => [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  for (const t of keys(a, b)) {
    const ta = a[t];
    const tb = b[t];
    if (!ta || !tb) {
      out.push(`table ${t}: only in ${ta ? names[0] : names[1]}`);
      continue;
    }
    for (const c of keys(ta.columns, tb.columns)) {
      const ca = ta.columns[c];
      const cb = tb.columns[c];
      if (!ca || !cb) {
        out.push(`column ${t}.${c}: only in ${ca ? names[0] : names[1]}`);
        continue;
      }
      for (const k of ['family', 'nullable', 'default'] as const) {
        if (ca[k] !== cb[k]) out.push(`column ${t}.${c} ${k}: ${show(ca[k])} in ${names[0]}, ${show(cb[k])} in ${names[1]}`);
      }
    }
    if (show(ta.primaryKey) !== show(tb.primaryKey)) out.push(`table ${t} primary key: ${show(ta.primaryKey)} in ${names[0]}, ${show(tb.primaryKey)} in ${names[1]}`);
    if (show(ta.unique) !== show(tb.unique)) out.push(`table ${t} unique constraints: ${show(ta.unique)} in ${names[0]}, ${show(tb.unique)} in ${names[1]}`);
    if (show(ta.foreignKeys) !== show(tb.foreignKeys)) out.push(`table ${t} foreign keys: ${show(ta.foreignKeys)} in ${names[0]}, ${show(tb.foreignKeys)} in ${names[1]}`);
    for (const i of keys(ta.indexes, tb.indexes)) {
      const ia = ta.indexes[i];
      const ib = tb.indexes[i];
      if (!ia || !ib) {
        out.push(`index ${t}.${i}: only in ${ia ? names[0] : names[1]}`);
        continue;
      }
      for (const k of ['columns', 'unique', 'where'] as const) {
        if (show(ia[k]) !== show(ib[k])) out.push(`index ${t}.${i} ${k}: ${show(ia[k])} in ${names[0]}, ${show(ib[k])} in ${names[1]}`);
      }
    }
  }
  return out;
}
