import type { LlmToolSpec } from '@agentd/protocol/manifest';
import { DomainError } from '../core/index.ts';
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
 * The engine's `tools` option; without one, UnavailableToolFactory.
 */
export interface ToolFactory {
  create(req: ToolFactoryRequest): Promise<ToolRunner[]>;
}

/** Refuses every entry, so a run of an agent that uses one fails at start with a clear error. */
export class UnavailableToolFactory implements ToolFactory {
  async create(req: ToolFactoryRequest): Promise<ToolRunner[]> {
    const what = req.entry.kind === 'http_fetch' ? 'http_fetch' : `mcp_server ${JSON.stringify(req.entry.server)}`;
    throw new DomainError('VALIDATION_ERROR', `this server has no ${req.entry.kind} tools: the tool ${what} of agent ${req.agent} cannot be used`);
  }
}
