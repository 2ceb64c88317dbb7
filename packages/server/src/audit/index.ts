/** The public face of audit/: other folders import from here only. */
export { registerAuditHooks } from './audit-hook.ts';
export { auditRoutes } from './audit-routes.ts';
export { AuditService } from './audit-service.ts';
export type { AuditEntry } from './audit-service.ts';
