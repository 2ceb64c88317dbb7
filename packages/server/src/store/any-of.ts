import { sql, type RawBuilder } from 'kysely';
import type { StoreCapabilities } from './store.ts';

/**
 * `column IN (…values)`, written for the dialect. On PostgreSQL it is `column = ANY($1::text[])`:
 * one array parameter whatever the number of values, so the statement's text stays the same
 * from batch to batch and is prepared once per connection (see postgres/prepared-statements.ts).
 */
export function anyOf(dialect: StoreCapabilities['dialect'], column: string, values: readonly string[]): RawBuilder<boolean> {
  if (dialect === 'postgres') return sql<boolean>`${sql.ref(column)} = any(${sql.val(values)}::text[])`;
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((v) => sql.val(v)))})`;
}
