export { AgentsResource } from './agents-resource.ts';
export { RunsResource } from './runs-resource.ts';
export { RunWaitTimeoutError } from './run-waiter.ts';
export { KeysResource } from './keys-resource.ts';
export { EventsResource } from './events-resource.ts';
export { WorkerResource } from './worker-resource.ts';
export { LeasesResource, type WorkerApprovalInput } from './leases-resource.ts';
export { ApprovalsResource, type ApprovalListParams, type ApprovalLink } from './approvals-resource.ts';
export type * from './resource-types.ts';
