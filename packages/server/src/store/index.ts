/** The public face of store/: other folders import from here only. */
export { anyOf, tenantIs } from './any-of.ts';
export type { AgentVersionsTable, AgentsTable, ApiKeysTable, ApprovalVotesTable, ApprovalsTable, AuditLogTable, Database, FindingsTable, GrantsTable, RunAttemptsTable, RunEventsTable, RunsTable, SecretVersionsTable, SecretsTable, WebhookDeliveriesTable, WebhookSecretsTable, WebhooksTable } from './db-types.ts';
export { insertRows } from './insert-rows.ts';
export { PREPARE } from './postgres/prepared-statements.ts';
export { DEFAULT_TENANT, openStore } from './store.ts';
export type { Scopeable, Store, StoreOptions } from './store.ts';
export { DomainError } from './write-queue.ts';
export { isStoreUnavailable, StoreUnavailableError } from './unavailable.ts';
export type { CommittedEvent, EventHook, WriteContext } from './write-queue.ts';
export { decodeCursor, encodeCursor, newestFirstPage } from './newest-first-page.ts';
export { LeadershipLost, NO_FENCE } from './leader-fence.ts';
export type { LeaderFence } from './leader-fence.ts';
