/** The public face of mcp/: other folders import from here only. */
export { mcpRoutes } from './mcp-routes.ts';
export { McpServerService } from './mcp-server-service.ts';
export type { McpActor } from './mcp-server-service.ts';
export { mcpToolName, mcpToolRunners } from './mcp-tool-runners.ts';
export { toolsHash } from './mcp-connection.ts';
export { OutboundTools, secretHeaders } from './outbound-tools.ts';
export type { OutboundToolEntry, OutboundToolRequest } from './outbound-tools.ts';
