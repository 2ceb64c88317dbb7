/**
 * Reads the Kysely table types of src/store/db-types.ts (the `Database` interface and the
 * `*Table` interfaces it names) from the file's text, and checks them against a migrated schema.
 * A careful parser of this one file rather than the TypeScript compiler API: the file is plain
 * interfaces of unions of primitive types, and anything else (a generic, an object type) throws,
 * so the parser is extended on purpose rather than guessing.
 */
import { readFileSync } from 'node:fs';
import type { Family, Schema } from './schema-introspection.ts';

export interface TsColumn {
  /** The non-null members of the union, as written: `string`, `number`, a literal's base type. */
  types: string[];
  nullable: boolean;
  optional: boolean;
}
export type TsSchema = Record<string, Record<string, TsColumn>>;

export const DB_TYPES_FILE = new URL('../../src/store/db-types.ts', import.meta.url);
/** The table types db-types.ts imports from files of their own (read together with it). */
export const DB_TYPES_PARTS = [new URL('../../src/store/db-types-automation.ts', import.meta.url), new URL('../../src/store/db-types-usage.ts', import.meta.url), new URL('../../src/store/db-types-sessions.ts', import.meta.url), new URL('../../src/store/db-types-triggers.ts', import.meta.url)];

function member(raw: string, where: string): string | null {
  const t = raw.trim();
  if (t === 'null') return null;
  if (t === 'undefined') throw new Error(`${where}: use \`?\` or \`| null\`, not \`| undefined\``);
  if (/^'([^'\\]|\\.)*'$/.test(t) || /^"([^"\\]|\\.)*"$/.test(t)) return 'string';
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(t)) return 'number';
  if (['string', 'number', 'boolean', 'Uint8Array', 'Buffer'].includes(t)) return t;
  throw new Error(`${where}: cannot read type ${JSON.stringify(t)}; extend test/helpers/kysely-types.ts`);
}

export function parseDbTypes(text: string): TsSchema {
  const source = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const interfaces = new Map<string, Map<string, { optional: boolean; type: string }>>();
  for (const m of source.matchAll(/export\s+interface\s+(\w+)\s*\{([^}]*)\}/g)) {
    const [, name, body] = m;
    if (body.includes('{')) throw new Error(`interface ${name}: nested object types are not read`);
    const fields = new Map<string, { optional: boolean; type: string }>();
    for (const line of body.split(/[;\n]/).map((l) => l.trim()).filter(Boolean)) {
      const f = /^(\w+)(\?)?\s*:\s*(.+)$/.exec(line);
      if (!f) throw new Error(`interface ${name}: cannot read ${JSON.stringify(line)}`);
      fields.set(f[1], { optional: f[2] === '?', type: f[3].trim() });
    }
    interfaces.set(name, fields);
  }
  const database = interfaces.get('Database');
  if (!database) throw new Error('db-types.ts has no `export interface Database`');
  const out: TsSchema = {};
  for (const [table, ref] of database) {
    const fields = interfaces.get(ref.type);
    if (!fields) throw new Error(`Database.${table} names ${ref.type}, which is not an exported interface of db-types.ts`);
    out[table] = {};
    for (const [col, f] of fields) {
      const where = `${ref.type}.${col}`;
      if (f.type.includes('<')) throw new Error(`${where}: generic types (${f.type}) are not read; extend test/helpers/kysely-types.ts`);
      const members = f.type.split('|').map((t) => member(t, where));
      out[table][col] = {
        types: [...new Set(members.filter((t): t is string => t !== null))].sort(),
        nullable: members.includes(null),
        optional: f.optional,
      };
    }
  }
  return out;
}

export function readDbTypes(): TsSchema {
  return parseDbTypes([DB_TYPES_FILE, ...DB_TYPES_PARTS].map((f) => readFileSync(f, 'utf8')).join('\n'));
}

/** The TypeScript type a value of each family arrives as (PostgreSQL's int8 is parsed to a
 *  number by store/postgres/postgres-dialect.ts; SQLite returns numbers for INTEGER and REAL). */
const TS_OF_FAMILY: Partial<Record<Family, string[]>> = {
  integer: ['number'],
  real: ['number'],
  text: ['string'],
  blob: ['Uint8Array', 'Buffer'],
  boolean: ['boolean'],
};

/** Every way the Kysely types disagree with the migrated schema, one line each. */
export function typeDifferences(types: TsSchema, schema: Schema, untyped: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const table of Object.keys(schema).sort()) {
    if (untyped.has(table)) continue;
    if (!types[table]) out.push(`table ${table}: not in the Database interface`);
  }
  for (const table of Object.keys(types).sort()) {
    const t = schema[table];
    if (!t) {
      out.push(`Database.${table}: no such table in the migrated schema`);
      continue;
    }
    for (const col of Object.keys(t.columns).sort()) {
      if (!types[table][col]) out.push(`column ${table}.${col}: not in its table type`);
    }
    for (const [col, ts] of Object.entries(types[table])) {
      const c = t.columns[col];
      if (!c) {
        out.push(`${table}.${col}: in the table type, not in the migrated table`);
        continue;
      }
      if (ts.nullable !== c.nullable) out.push(`${table}.${col}: the column is ${c.nullable ? 'nullable' : 'NOT NULL'}, the type ${ts.nullable ? 'includes' : 'lacks'} \`| null\``);
      // `?` lets an insert leave the column out: only right when the database fills it in.
      if (ts.optional && !c.nullable && c.default === null) out.push(`${table}.${col}: optional in the type, but NOT NULL with no default`);
      const allowed = TS_OF_FAMILY[c.family];
      if (!allowed) out.push(`${table}.${col}: no TypeScript type known for family ${c.family}; extend test/helpers/kysely-types.ts`);
      else if (ts.types.length !== 1 || !allowed.includes(ts.types[0])) out.push(`${table}.${col}: ${c.family} column typed ${ts.types.join(' | ') || 'null'} (want ${allowed.join(' or ')})`);
    }
  }
  return out;
}
