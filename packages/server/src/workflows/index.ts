/** The public face of workflows/: other folders import from here only. */
export { workflowRoutes } from './workflow-routes.ts';
export { WorkflowService } from './workflow-service.ts';
export type { ResolvedWorkflow, WorkflowRecorder } from './workflow-service.ts';
export { WorkflowDriver } from './workflow-driver.ts';
export { WorkflowStarter } from './workflow-start.ts';
export { WorkflowRetrier } from './workflow-retry.ts';
