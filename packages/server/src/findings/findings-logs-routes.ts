import type { AppDeps, RouteApp } from '../http/index.ts';
import { findingRoutes } from './finding-routes.ts';
import { logRoutes } from './log-routes.ts';

/** Findings and log lines: one registration for app.ts. */
export function findingsLogsRoutes(app: RouteApp, deps: AppDeps): void {
  findingRoutes(app, deps);
  logRoutes(app, deps);
}
