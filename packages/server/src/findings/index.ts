/** The public face of findings/: other folders import from here only. */
export { FindingService } from './finding-service.ts';
export { findingsLogsRoutes } from './findings-logs-routes.ts';
export { LogService } from './log-service.ts';
