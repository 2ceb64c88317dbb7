import { LIST_LIMIT_DEFAULT, ListQuery, McpServer, McpServerApproveBody, McpServerCreate, McpServerDeleted, McpServerParams, page } from '@agentd/protocol/schemas';
import type { FastifyRequest } from 'fastify';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';
import type { McpActor } from './mcp-server-service.ts';

const REGISTER_DOC =
  "agentd connects to `url` over Streamable HTTP (MCP 2026-07-28, or the older `initialize` handshake), lists its tools and pins them by a hash of their names, descriptions and input schemas: registering approves the tools listed now. `auth_secret` names a vault secret sent on every request (`authorization: Bearer <value>`, or as it is in `auth_header`); a tool call sends it only when the calling agent is granted it, and never shows it to the model. The URL must pass the egress policy (`422 EGRESS_REFUSED`); a server that does not answer its tool list is `422 MCP_SERVER_UNREACHABLE`.";
const APPROVE_DOC =
  "Lists the server's tools now and pins them, making a disabled server active again. Every tool call lists the tools first: a server whose list differs from the pinned one (a changed name, description or schema, a tool added or removed) is disabled, with an audit record `mcp_server.disabled`, and its tools are refused until this is called. Give `tools_hash` (the `pending_tools_hash` you reviewed) to refuse with `409 MCP_TOOLS_CHANGED` a list that changed again since.";

const actorOf = (request: FastifyRequest): McpActor => ({ keyId: request.principal?.keyId ?? null, role: request.principal?.role ?? null });

/** `/v1/mcp-servers`: the MCP servers whose tools a tenant's LLM agents may use. */
export function mcpRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/mcp-servers',
    {
      config: { permission: 'mcp:manage' },
      schema: { tags: ['mcp-servers'], summary: 'Register an MCP server and approve the tools it lists now', description: REGISTER_DOC, body: McpServerCreate, response: { 201: McpServer, ...errors(400, 401, 403, 404, 409, 422) } },
    },
    async (request, reply) => {
      const body = request.body;
      return idempotency.run(request, reply, 201, (record) => engine.mcpServers.create({ tenantId: tenantOf(request), actor: actorOf(request), ...body }, record));
    },
  );
  app.get(
    '/v1/mcp-servers',
    {
      config: { permission: 'mcp:read' },
      schema: { tags: ['mcp-servers'], summary: 'List the MCP servers, newest first', querystring: ListQuery, response: { 200: page(McpServer), ...errors(400, 401, 403) } },
    },
    async (request) => engine.mcpServers.list({ tenantId: tenantOf(request), limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
  app.get(
    '/v1/mcp-servers/:name',
    {
      config: { permission: 'mcp:read' },
      schema: { tags: ['mcp-servers'], summary: 'An MCP server: its approved tools, its status and, when disabled, what it lists now', params: McpServerParams, response: { 200: McpServer, ...errors(401, 403, 404) } },
    },
    async (request) => engine.mcpServers.retrieve({ tenantId: tenantOf(request), name: request.params.name }),
  );
  app.delete(
    '/v1/mcp-servers/:name',
    {
      config: { permission: 'mcp:manage' },
      schema: { tags: ['mcp-servers'], summary: 'Unregister an MCP server (its tools are refused from now on)', params: McpServerParams, response: { 200: McpServerDeleted, ...errors(401, 403, 404) } },
    },
    async (request) => engine.mcpServers.delete({ tenantId: tenantOf(request), name: request.params.name }),
  );
  app.post(
    '/v1/mcp-servers/:name/approve',
    {
      config: { permission: 'mcp:manage' },
      schema: { tags: ['mcp-servers'], summary: "Approve the server's current tools (re-enables a disabled server)", description: APPROVE_DOC, params: McpServerParams, body: McpServerApproveBody, response: { 200: McpServer, ...errors(400, 401, 403, 404, 409, 422) } },
    },
    async (request, reply) => {
      const name = request.params.name;
      const toolsHash = request.body?.tools_hash;
      return idempotency.run(request, reply, 200, (record) => engine.mcpServers.approve({ tenantId: tenantOf(request), name, toolsHash, actor: actorOf(request) }, record));
    },
  );
}
