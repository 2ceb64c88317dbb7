/** The public face of http/: other folders import from here only. */
export { DEFAULT_API_CONFIG, buildApp } from './app.ts';
export type { ApiConfig, AppDeps } from './app.ts';
export { tenantOf } from './auth.ts';
export { ApiError } from './errors.ts';
export type { LimitsConfig, Rate } from './limits-config.ts';
export { Agent, AgentVersion, ApiKey, CompleteLease, CompletionItem, CompletionResult, CreatedApiKey, HeartbeatResult, KeyCreate, LeaseRequest, ListQuery, Run, RunAttempt, RunCreate, RunEvent, RunFailureInput, Task, Type, WorkerEvent, errors, page } from './schemas.ts';
export type { Static } from './schemas.ts';
export { pumpStream, resumeCursor, wantsJson } from './sse.ts';
