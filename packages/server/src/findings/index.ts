/** The public face of findings/: other folders import from here only. */
export { FindingService } from './finding-service.ts';
export { AuditRecord } from './findings-audit-schemas.ts';
export { findingsLogsAuditRoutes } from './findings-logs-audit-routes.ts';
export { LogService } from './log-service.ts';
