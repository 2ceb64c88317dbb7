import type { McpServer, McpServerApproveParams, McpServerCreateParams, McpServerDeleted } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { ListParams } from './resource-types.ts';

const seg = encodeURIComponent;

export type McpServerListParams = ListParams;
export type { McpServerApproveParams, McpServerCreateParams };

/**
 * `/v1/mcp-servers`: MCP servers whose tools the tenant's LLM agents may use (`- mcp_server:
 * <name>` in a manifest). Registering lists the server's tools and pins them by a hash; a server
 * whose tools later change is `disabled` until an admin approves them again.
 */
export class McpServersResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Registers a server and approves the tools it lists now (admin keys only). `auth_secret` names
   * a vault secret sent as `authorization: Bearer <value>` (or as it is in `auth_header`).
   * @example
   * const s = await client.mcpServers.create({ name: 'docs', url: 'https://mcp.example.com/mcp', auth_secret: 'docs_token' });
   * console.log(s.tools.map((t) => t.name), s.tools_hash);
   */
  create(params: McpServerCreateParams, options?: RequestOptions): Promise<McpServer> {
    return this.#client.request<McpServer>({ method: 'POST', path: '/v1/mcp-servers', body: params }, options);
  }

  /** @example for await (const s of client.mcpServers.list()) console.log(s.name, s.status); */
  list(params: McpServerListParams = {}, options?: RequestOptions): PagePromise<McpServer> {
    return this.#client.requestPage<McpServer>('/v1/mcp-servers', { ...params }, options);
  }

  /** @example const s = await client.mcpServers.retrieve('docs'); if (s.status === 'disabled') console.log(s.disabled_reason, s.pending_tools); */
  retrieve(name: string, options?: RequestOptions): Promise<McpServer> {
    return this.#client.request<McpServer>({ method: 'GET', path: `/v1/mcp-servers/${seg(name)}` }, options);
  }

  /** @example await client.mcpServers.delete('docs'); */
  delete(name: string, options?: RequestOptions): Promise<McpServerDeleted> {
    return this.#client.request<McpServerDeleted>({ method: 'DELETE', path: `/v1/mcp-servers/${seg(name)}` }, options);
  }

  /**
   * Approves the tools the server lists now (admin keys only), making a disabled server active.
   * With `tools_hash` (the `pending_tools_hash` reviewed), a list that changed again since is a
   * `ConflictError` (`MCP_TOOLS_CHANGED`).
   * @example
   * const s = await client.mcpServers.retrieve('docs');
   * await client.mcpServers.approve('docs', { tools_hash: s.pending_tools_hash! });
   */
  approve(name: string, params: McpServerApproveParams = {}, options?: RequestOptions): Promise<McpServer> {
    return this.#client.request<McpServer>({ method: 'POST', path: `/v1/mcp-servers/${seg(name)}/approve`, body: params }, options);
  }
}
