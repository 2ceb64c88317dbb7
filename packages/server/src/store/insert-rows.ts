import { CompiledQuery, type Transaction } from 'kysely';
import type { Database } from './db-types.ts';
import type { StoreCapabilities } from './store.ts';
import { PREPARE } from './postgres/prepared-statements.ts';

/**
 * A multi-row INSERT of the hottest tables (runs, events, attempts, audit records), written as
 * SQL text directly. Kysely's builder turns every cell into a node and walks them all to compile;
 * for a few hundred rows of a dozen columns that was a measurable share of the server's time.
 * Column names come from the caller's code, never from input; values are always parameters.
 * Each store owns one (`store.insertRows`): on PostgreSQL it holds the column types it has read.
 */
export class RowInserter {
  readonly #dialect: StoreCapabilities['dialect'];
  /**
   * PostgreSQL column types by table, read once per store from the catalog: the migrations fix
   * them. Without modifiers (`varchar`, not `varchar(20)`), so a cast never truncates what an
   * INSERT would refuse.
   */
  readonly #columnTypes = new Map<string, Promise<Map<string, string>>>();

  constructor(dialect: StoreCapabilities['dialect']) {
    this.#dialect = dialect;
  }

  async insert<T extends keyof Database>(trx: Transaction<Database>, table: T, columns: readonly (keyof Database[T] & string)[], rows: readonly Database[T][]): Promise<void> {
    if (rows.length === 0) return;
    if (this.#dialect === 'postgres') return insertByArrays(trx, table, columns, rows, await typesOf(this.#columnTypes, trx, table));
    return insertByTuples(trx, table, columns, rows);
  }
}

async function insertByTuples<T extends keyof Database>(
  trx: Transaction<Database>,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  rows: readonly Database[T][],
): Promise<void> {
  const params: unknown[] = [];
  const tuples: string[] = [];
  const marks = `(${columns.map(() => '?').join(', ')})`;
  for (const row of rows) {
    for (const c of columns) {
      const v = (row as unknown as Record<string, unknown>)[c];
      params.push(v === undefined ? null : v);
    }
    tuples.push(marks);
  }
  const text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}`;
  await trx.executeQuery(CompiledQuery.raw(text, params));
}

function typesOf(columnTypes: Map<string, Promise<Map<string, string>>>, trx: Transaction<Database>, table: string): Promise<Map<string, string>> {
  let types = columnTypes.get(table);
  if (!types) {
    types = trx
      .executeQuery<{ name: string; type: string; dims: number }>(
        CompiledQuery.raw('select attname as name, format_type(atttypid, null) as type, attndims as dims from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped', [table]),
      )
      .then((r) => new Map(r.rows.map((c) => [c.name, c.dims > 0 ? '' : c.type])));
    // Not a swallowed error: the caller awaiting `types` gets it; this only forgets the failed lookup so the next call retries.
    types.catch(() => columnTypes.delete(table));
    columnTypes.set(table, types);
  }
  return types;
}

/**
 * On PostgreSQL one array parameter per column (`SELECT * FROM unnest(...)`): the text is the
 * same for every batch size, so it is prepared once per connection and never parsed again.
 */
async function insertByArrays<T extends keyof Database>(
  trx: Transaction<Database>,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  rows: readonly Database[T][],
  types: Map<string, string>,
): Promise<void> {
  const arrays = columns.map((c) =>
    rows.map((row) => {
      const v = (row as unknown as Record<string, unknown>)[c];
      return v === undefined ? null : v;
    }),
  );
  const casts = columns.map((c, i) => {
    // unnest would flatten an array column's values into rows of their own.
    const type = types.get(c);
    if (!type) throw new Error(`insertRows: ${table}.${c} is not a scalar column of the table`);
    return `$${i + 1}::${type}[]`;
  });
  const text = `${PREPARE}insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) select * from unnest(${casts.join(', ')})`;
  await trx.executeQuery(CompiledQuery.raw(text, arrays));
}
