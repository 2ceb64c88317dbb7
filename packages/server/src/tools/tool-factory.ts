import type { LlmToolSpec } from '@agentd/protocol/manifest';
import type { ToolRunner } from './tool.ts';

export interface ToolFactoryRequest {
  tenantId: string;
  agent: string;
  /** An `http_fetch` or `mcp_server` entry of the manifest's `spec.tools`. */
  entry: Extract<LlmToolSpec, { kind: 'http_fetch' | 'mcp_server' }>;
  signal: AbortSignal;
}

/**
 * Makes the ToolRunners of an LLM agent's `http_fetch` and `mcp_server` entries (an MCP server
 * gives several). Agent-endpoint tools are made by the LLM runtime itself (child runs).
 * The engine's OutboundTools (mcp/) is the one in use; tests may hand the engine another (`llm.tools`).
 */
export interface ToolFactory {
  create(req: ToolFactoryRequest): Promise<ToolRunner[]>;
}
