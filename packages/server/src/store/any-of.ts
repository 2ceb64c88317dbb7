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

/**
 * `tenant_id = tenantId` that leaves the choice of index to the statement's other conditions. On
 * SQLite (no statistics) a `tenant_id` equality beside `id IN (…)` or `run_id IN (…)` makes the
 * planner take an index that starts with tenant_id (`runs_ready`, `approvals_list`) and walk the
 * tenant's rows; the unary `+` keeps the column out of index selection (EXPLAIN QUERY PLAN).
 */
export function tenantIs(dialect: StoreCapabilities['dialect'], tenantId: string): RawBuilder<boolean> {
  if (dialect === 'postgres') return sql<boolean>`${sql.ref('tenant_id')} = ${tenantId}`;
  return sql<boolean>`+${sql.ref('tenant_id')} = ${tenantId}`;
}
