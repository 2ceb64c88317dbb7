/**
 * `@agentd/sdk/worker`: run agent endpoints in this process. Node-only (signals, hostname).
 */
export { Worker } from './agent-worker.ts';
export type { EndpointHandler, WorkerOptions } from './worker-options.ts';
export type { LogLevel, TaskContext } from './task-context.ts';
export type { ApprovalOptions, ApprovalResult } from './task-approval.ts';
export { SignalTimeoutError, type WaitForSignalOptions } from './task-signals.ts';
export { ChildRunFailed, type CallOptions } from './task-call.ts';
export { SecretNotGrantedError, type TaskSecrets } from './task-secrets.ts';
export { createConsoleLogger, silentLogger, type WorkerLogger } from './worker-logger.ts';
export { LeaseLostError, RunCancelledError, TaskAbortedError, WorkerShutdownError, type TaskAbortCode } from './abort-reasons.ts';
export { ensureRunFailure, NonRetryableError } from '../failure/index.ts';
