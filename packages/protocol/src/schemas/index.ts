/**
 * `@agentd/protocol/schemas`: every route's wire schemas (bodies, params, queries, responses) as
 * TypeBox schemas, each with the TypeScript type of the same name derived from it. The server
 * registers its routes with them; `@agentd/protocol` exports the types clients use.
 */
export * from './common.ts';
export * from './runs.ts';
export * from './run-controls.ts';
export * from './calls.ts';
export * from './events.ts';
export * from './agents.ts';
export * from './keys.ts';
export * from './worker.ts';
export * from './approvals.ts';
export * from './secrets.ts';
export * from './findings.ts';
export * from './audit.ts';
export * from './health.ts';
export * from './workflows.ts';
export * from './schedules.ts';
export * from './webhooks.ts';
export * from './triggers.ts';
export * from './models.ts';
export * from './sessions.ts';
export * from './config.ts';
export * from './usage.ts';
export * from './mcp-servers.ts';
