/**
 * `@agentd/sdk`: the agentd client. Fetch-only (no Node imports) so it runs anywhere; the
 * Node worker lives at `@agentd/sdk/worker`.
 */
export { Agentd, AgentdClient } from './agentd-client.ts';
export { Agentd as default } from './agentd-client.ts';
export * from './errors/index.ts';
export * from './core/index.ts';
export * from './resources/index.ts';
export * from './sse/index.ts';
export * from './failure/index.ts';
export * from '@agentd/protocol';
