import type { McpTool } from '@agentd/protocol';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { argsValidator, capSignal, outcomeOfError, redact, toolError, type ToolCallRequest, type ToolCaps, type ToolOutcome, type ToolRunner } from '../tools/index.ts';
import { listMcpTools, McpSession, toolsHash } from './mcp-connection.ts';
import type { McpServerService } from './mcp-server-service.ts';

/** Tool names as model providers accept them: `[A-Za-z0-9_-]{1,64}`. */
const MODEL_NAME = /[^A-Za-z0-9_-]/g;

/** `<prefix>_<tool>` (the prefix is the server's name unless the manifest names it), made safe and short enough for every provider. */
export function mcpToolName(prefix: string, toolName: string): string {
  return `${prefix}_${toolName}`.replace(MODEL_NAME, '_').slice(0, 64);
}

/**
 * The tools of a registered MCP server as an LLM agent's loop calls them: the APPROVED tools
 * (what an admin pinned is what the model is told), named `<server>_<tool>`. Each call:
 * 1. validates its arguments against the approved schema (TESTPLAN 28);
 * 2. refuses at once if the server is disabled;
 * 3. lists the server's tools again and, if they are not the pinned ones, disables the server
 *    (TESTPLAN 27) and refuses: a changed description or schema is never used;
 * 4. calls the tool, its whole exchange capped in time and each HTTP answer in bytes.
 * The auth secret comes from `req.secret` (the agent's grants), goes in a header only, and is
 * redacted from the outcome. The runners share one client (McpSession), connected on the first
 * call and closed by `close` (the loop's end). Throws MCP_SERVER_NOT_FOUND for an unknown server.
 */
export async function mcpToolRunners(service: McpServerService, input: { tenantId: string; serverName: string; prefix?: string; caps?: Partial<ToolCaps> }): Promise<ToolRunner[]> {
  const row = await service.row({ tenantId: input.tenantId, name: input.serverName });
  const caps: ToolCaps = { ...service.caps, ...input.caps };
  const tools = JSON.parse(row.tools) as McpTool[];
  // One client for all of this server's tools, for as long as the loop that asked for them.
  const session = new McpSession(service.egress);
  return tools.map((tool) => runner(service, session, { tenantId: input.tenantId, serverName: input.serverName, prefix: input.prefix ?? input.serverName, tool, caps }));
}

function runner(service: McpServerService, session: McpSession, ctx: { tenantId: string; serverName: string; prefix: string; tool: McpTool; caps: ToolCaps }): ToolRunner {
  const { tool, caps } = ctx;
  const validate = argsValidator(tool.input_schema);
  return {
    spec: { name: mcpToolName(ctx.prefix, tool.name), description: tool.description, inputSchema: tool.input_schema, idempotent: false },
    async call(req: ToolCallRequest): Promise<ToolOutcome> {
      const invalid = validate(req.args);
      if (invalid) return invalid;
      const row = await service.row({ tenantId: ctx.tenantId, name: ctx.serverName }).catch(() => null);
      if (!row) return toolError('MCP_SERVER_NOT_FOUND', `the MCP server ${JSON.stringify(ctx.serverName)} is no longer registered`);
      if (row.status !== 'active') return disabled(ctx.serverName, row.disabled_reason);
      const secret = row.auth_secret === null ? undefined : await req.secret(row.auth_secret);
      if (row.auth_secret !== null && secret === undefined) return toolError('SECRET_NOT_GRANTED', `the agent has no grant for the secret ${JSON.stringify(row.auth_secret)} the MCP server ${ctx.serverName} needs`);
      const secrets = secret === undefined ? [] : [secret];
      const signal = capSignal(req.signal, caps.timeoutMs);
      const opts = { signal, timeoutMs: caps.timeoutMs, maxReplyBytes: caps.maxReplyBytes };
      try {
        const outcome = await session.use({ url: row.url, headers: service.authHeaders(row, secret) }, opts, async (client): Promise<ToolOutcome> => {
          const listed = await listMcpTools(client, opts);
          const hash = toolsHash(listed);
          if (hash !== row.tools_hash) return disabled(ctx.serverName, await service.disableChanged(row, listed, hash));
          const result = (await client.callTool({ name: tool.name, arguments: req.args as Record<string, unknown> }, { signal, timeout: caps.timeoutMs })) as CallToolResult;
          return toOutcome(result);
        });
        return redact(outcome, secrets);
      } catch (err) {
        return redact(outcomeOfError(err, { signal, callerSignal: req.signal, caps }), secrets);
      }
    },
    close: () => session.close(),
  };
}

function disabled(serverName: string, reason: string | null): ToolOutcome {
  return toolError('MCP_SERVER_DISABLED', `the MCP server ${serverName} is disabled: ${reason ?? 'its tools changed'}; its tools cannot be used until an admin approves them again`);
}

/** A tool's own failure (`isError`) is an outcome the model reads, like a success. */
function toOutcome(result: CallToolResult): ToolOutcome {
  const content = result.content ?? [];
  if (result.isError) {
    const text = content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
    return toolError('TOOL_ERROR', text || 'the tool reported an error');
  }
  return { ok: true, output: result.structuredContent !== undefined ? { content, structured: result.structuredContent } : { content } };
}
