import type { McpServer } from '@agentd/sdk';
import type { Command } from 'commander';
import { UsageError } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

function formatTools(tools: McpServer['tools']): string {
  return tools.map((t) => `  ${t.name}: ${t.description.replace(/\s+/g, ' ').slice(0, 200)}`).join('\n');
}

function formatServer(s: McpServer): string {
  const fields: [string, string][] = [
    ['name', s.name],
    ['url', s.url],
    ['auth secret', s.auth_secret ? `${s.auth_secret} (in ${s.auth_header ?? 'authorization: Bearer'})` : '-'],
    ['status', s.disabled_at ? `${s.status} since ${shortTime(s.disabled_at)}` : s.status],
    ['tools hash', s.tools_hash],
    ['approved', shortTime(s.approved_at)],
    ['description', s.description ?? '-'],
  ];
  if (s.disabled_reason) fields.push(['why', s.disabled_reason]);
  let text = `${formatFields(fields)}\napproved tools:\n${formatTools(s.tools)}`;
  if (s.pending_tools) text += `\ntools it lists now (hash ${s.pending_tools_hash}; review, then: agentd mcp-servers approve ${s.name} --tools-hash ${s.pending_tools_hash}):\n${formatTools(s.pending_tools)}`;
  return text;
}

/** `agentd mcp-servers …`: register MCP servers for LLM agents' tools, and re-approve changed ones. */
export function registerMcpServersCommand(program: Command): void {
  const mcp = addConnectionOptions(program.command('mcp-servers').description("MCP servers whose tools LLM agents use: register, list, approve changed tools, delete"));

  mcp
    .command('create <name> <url>')
    .description('register a Streamable HTTP MCP server and approve the tools it lists now (admin)')
    .option('--auth-secret <secret>', 'a vault secret sent on every request (as authorization: Bearer <value>)')
    .option('--auth-header <header>', 'send the secret in this header, as it is, instead')
    .option('--description <text>', 'what the server is for')
    .option('--json', 'print the server as JSON')
    .action(
      clientAction<{ authSecret?: string; authHeader?: string; description?: string; json?: boolean }, [string, string]>(async ({ client, options }, name, url) => {
        if (options.authHeader !== undefined && options.authSecret === undefined) throw new UsageError('--auth-header needs --auth-secret');
        const s = await client.mcpServers.create({
          name,
          url,
          ...(options.authSecret !== undefined ? { auth_secret: options.authSecret } : {}),
          ...(options.authHeader !== undefined ? { auth_header: options.authHeader } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
        });
        if (options.json) return printJson(s);
        out(`registered MCP server ${s.name} → ${s.url}; approved ${s.tools.length} tools (hash ${s.tools_hash}):\n${formatTools(s.tools)}`);
      }),
    );

  mcp
    .command('list')
    .description('list the MCP servers')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const data: McpServer[] = [];
        for await (const s of client.mcpServers.list({ limit: 500 })) data.push(s);
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no MCP servers: add one with agentd mcp-servers create <name> <url>');
        out(formatTable(['NAME', 'URL', 'STATUS', 'TOOLS', 'AUTH SECRET', 'APPROVED'], data.map((s) => [s.name, s.url, s.status, String(s.tools.length), s.auth_secret ?? '-', shortTime(s.approved_at)])));
      }),
    );

  mcp
    .command('get <name>')
    .description('show a server: its approved tools and, when disabled, what it lists now')
    .option('--json', 'print the server as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, name) => {
        const s = await client.mcpServers.retrieve(name);
        if (options.json) printJson(s);
        else out(formatServer(s));
      }),
    );

  mcp
    .command('approve <name>')
    .description("approve the tools the server lists now; re-enables a server disabled because they changed (admin)")
    .option('--tools-hash <hash>', 'the pending tools hash you reviewed: refused if the list changed again since')
    .option('--json', 'print the server as JSON')
    .action(
      clientAction<{ toolsHash?: string; json?: boolean }, [string]>(async ({ client, options }, name) => {
        const s = await client.mcpServers.approve(name, options.toolsHash !== undefined ? { tools_hash: options.toolsHash } : {});
        if (options.json) return printJson(s);
        out(`approved ${s.tools.length} tools of ${s.name} (hash ${s.tools_hash}); status ${s.status}`);
      }),
    );

  mcp
    .command('delete <name>')
    .description('unregister a server (its tools are refused from now on)')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, name) => {
        const r = await client.mcpServers.delete(name);
        if (options.json) printJson(r);
        else out(`deleted MCP server ${r.name}`);
      }),
    );
}
