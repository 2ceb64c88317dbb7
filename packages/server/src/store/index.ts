/** The public face of store/: other folders import from here only. */
export type { AgentVersionsTable, ConfigResourcesTable, AgentsTable, ApiKeysTable, ApprovalVotesTable, ApprovalsTable, AuditLogTable, Database, FindingsTable, GrantsTable, RunAttemptsTable, RunEventsTable, RunsTable, ScheduleSlotsTable, SchedulesTable, SecretVersionsTable, SecretsTable, SignalsTable, WebhookDeliveriesTable, WebhookSecretsTable, WebhooksTable, WorkflowStepsTable, WorkflowVersionsTable, WorkflowsTable, UsageBudgetsTable, UsageDailyTable, McpServersTable } from './db-types.ts';
export type { SessionMessagesTable, SessionsTable } from './db-types-sessions.ts';
export type { TriggersTable, TriggerSecretsTable, TriggerReceiptsTable, TriggerDeliveriesTable } from './db-types-triggers.ts';
export type { DialectQueries, LeasedRun, SucceededRun } from './dialect-queries.ts';
export { precompiled, type Precompiled } from './precompiled.ts';
export { ATTEMPT_COLUMNS, END_OF_ATTEMPT, endedAttempt } from './dialect-queries.ts';
export { DEFAULT_TENANT, openStore } from './store.ts';
export type { ExclusiveSection, Scopeable, Store, StoreOptions } from './store.ts';
export { isStoreUnavailable, StoreUnavailableError } from './unavailable.ts';
export type { CommittedEvent, EventHook, WriteContext } from './write-queue.ts';
export { decodeCursor, encodeCursor, keysetPage, newestFirstPage } from './keyset-page.ts';
export { LeadershipLost, NO_FENCE } from './leader-fence.ts';
export type { LeaderFence } from './leader-fence.ts';
export { RunHooks } from './run-hooks.ts';
export type { ApprovalSettledHook, ChildEndedHook, EndedChild, SessionRunEndedHook, SessionTaskContext, TaskSessionContext, WorkflowEndedHook } from './run-hooks.ts';
