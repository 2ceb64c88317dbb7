import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../http/index.ts';
import { auditRoutes } from '../audit/index.ts';
import { findingRoutes } from './finding-routes.ts';
import { logRoutes } from './log-routes.ts';

/** Findings, log lines and the audit trail: one registration for app.ts. */
export function findingsLogsAuditRoutes(app: FastifyInstance, deps: AppDeps): void {
  findingRoutes(app, deps);
  logRoutes(app, deps);
  auditRoutes(app, deps);
}
