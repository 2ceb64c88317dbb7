/** The public face of http/: other folders import from here only. */
export { DEFAULT_API_CONFIG } from './app-config.ts';
export type { ApiConfig, AppDeps } from './app-config.ts';
export { tenantOf } from './auth.ts';
export { ApiError } from './errors.ts';
export { Agent, AgentVersion, ApiKey, CompleteLease, CompletionItem, CompletionResult, CreatedApiKey, HeartbeatResult, KeyCreate, LeaseRequest, ListQuery, Run, RunAttempt, RunCreate, RunEvent, RunFailureInput, Task, Type, WorkerEvent, errors, page } from './schemas.ts';
export type { Static } from './schemas.ts';
export { pumpStream, resumeCursor, wantsJson } from './sse.ts';
export { authHook } from './auth.ts';
export { handleError, sendError } from './errors.ts';
export { Idempotency } from './idempotency.ts';
export { registerJsonParser } from './json-body.ts';
export { ErrorBody } from './schemas.ts';
export { healthRoutes } from './health-routes.ts';
export { openApiDocument, openapiRoutes, OPENAPI_INFO } from './openapi-routes.ts';
export { loggerOptions } from './request-log.ts';
