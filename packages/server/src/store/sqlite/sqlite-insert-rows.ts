import { CompiledQuery, type Transaction } from 'kysely';
import type { Database } from '../db-types.ts';
import { conflictClause, type ConflictUpdate } from '../dialect-queries.ts';

/** DialectQueries.insertRows on SQLite: one `VALUES (?, …), (?, …)` statement. */
export async function insertRowsSqlite<T extends keyof Database>(
  trx: Transaction<Database>,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  rows: readonly Database[T][],
  conflict?: ConflictUpdate,
): Promise<void> {
  if (rows.length === 0) return;
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
  const text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}${conflict ? conflictClause(table, conflict) : ''}`;
  await trx.executeQuery(CompiledQuery.raw(text, params));
}
