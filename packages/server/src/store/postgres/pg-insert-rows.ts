import { CompiledQuery, type Transaction } from 'kysely';
import type { Database } from '../db-types.ts';
import { conflictClause, type ConflictUpdate, type DialectQueries } from '../dialect-queries.ts';
import { PREPARE } from './prepared-statements.ts';

/**
 * DialectQueries.insertRows on PostgreSQL: one array parameter per column (`SELECT * FROM
 * unnest(...)`): the text is the same for every batch size, so it is prepared once per
 * connection and never parsed again. Each store makes its own (`postgresQueries()`), which holds
 * the column types it has read.
 */
export function pgRowInserter(): DialectQueries['insertRows'] {
  /**
   * Column types by table, read once per store from the catalog: the migrations fix them.
   * Without modifiers (`varchar`, not `varchar(20)`), so a cast never truncates what an INSERT
   * would refuse.
   */
  const columnTypes = new Map<string, Promise<Map<string, string>>>();

  function typesOf(trx: Transaction<Database>, table: string): Promise<Map<string, string>> {
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

  return async function insertRowsPg<T extends keyof Database>(
    trx: Transaction<Database>,
    table: T,
    columns: readonly (keyof Database[T] & string)[],
    rows: readonly Database[T][],
    conflict?: ConflictUpdate,
  ): Promise<void> {
    if (rows.length === 0) return;
    const types = await typesOf(trx, table);
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
    const text = `${PREPARE}insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) select * from unnest(${casts.join(', ')})${conflict ? conflictClause(table, conflict) : ''}`;
    await trx.executeQuery(CompiledQuery.raw(text, arrays));
  };
}
