import { CompiledQuery, type Transaction } from 'kysely';
import type { Database } from './db-types.ts';
import type { StoreCapabilities } from './store.ts';

/**
 * A multi-row INSERT of the hottest tables (runs, events, attempts, audit records), written as
 * SQL text directly. Kysely's builder turns every cell into a node and walks them all to compile;
 * for a few hundred rows of a dozen columns that was a measurable share of the server's time.
 * Column names come from the caller's code, never from input; values are always parameters.
 */
export async function insertRows<T extends keyof Database>(
  trx: Transaction<Database>,
  dialect: StoreCapabilities['dialect'],
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  rows: readonly Database[T][],
): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    const marks: string[] = [];
    for (const c of columns) {
      const v = (row as unknown as Record<string, unknown>)[c];
      params.push(v === undefined ? null : v);
      marks.push(dialect === 'postgres' ? `$${params.length}` : '?');
    }
    tuples.push(`(${marks.join(', ')})`);
  }
  const text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}`;
  await trx.executeQuery(CompiledQuery.raw(text, params));
}
