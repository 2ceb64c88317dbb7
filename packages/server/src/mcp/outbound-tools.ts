import { DomainError } from '../core/index.ts';
import type { EgressClient } from '../egress/index.ts';
import { httpFetchTool, type HttpFetchToolOptions, type SecretHeader, type ToolCaps, type ToolRunner } from '../tools/index.ts';
import type { McpServerService } from './mcp-server-service.ts';
import { mcpToolRunners } from './mcp-tool-runners.ts';

/** A manifest's `http_fetch` or `mcp_server` tool entry, as the LLM runtime parsed it. */
export type OutboundToolEntry =
  | { kind: 'http_fetch'; allow: string[]; headers?: Record<string, string>; name?: string; description?: string }
  | { kind: 'mcp_server'; server: string; name?: string };

/** What the LLM runtime asks for (its ToolFactoryRequest has this shape). */
export interface OutboundToolRequest {
  tenantId: string;
  agent: string;
  entry: OutboundToolEntry;
  signal?: AbortSignal;
}

/** A secret header's value in a manifest: a secret's name, optionally after a prefix (`Bearer github_token`). */
const SECRET_HEADER = /^(.*?\s)?([a-z][a-z0-9_]{0,62})$/;

/**
 * Parses `http_fetch.headers` of a manifest: `{X-Api-Key: api_key}` sends the granted secret
 * `api_key` as it is; `{Authorization: "Bearer github_token"}` sends `Bearer <value>`.
 */
export function secretHeaders(headers: Record<string, string> | undefined): SecretHeader[] {
  return Object.entries(headers ?? {}).map(([name, value]) => {
    const m = SECRET_HEADER.exec(value.trim());
    if (!m) throw new DomainError('VALIDATION_ERROR', `the http_fetch header ${name} must name a secret (e.g. "api_key" or "Bearer api_key"), not ${JSON.stringify(value.slice(0, 40))}`);
    return { name, secret: m[2], ...(m[1] ? { prefix: m[1] } : {}) };
  });
}

/**
 * Makes the ToolRunners of an LLM agent's `http_fetch` and `mcp_server` entries under the
 * server's egress policy and caps: the one object the LLM runtime calls (`create`), besides the
 * two factories it wraps.
 */
export class OutboundTools {
  readonly #egress: EgressClient;
  readonly #mcp: McpServerService;
  readonly #caps: Partial<ToolCaps>;

  constructor(opts: { egress: EgressClient; mcp: McpServerService; caps?: Partial<ToolCaps> }) {
    this.#egress = opts.egress;
    this.#mcp = opts.mcp;
    this.#caps = opts.caps ?? {};
  }

  /** An `http_fetch` tool limited to `allow` (see tools/http-fetch-tool.ts). */
  httpFetch(opts: HttpFetchToolOptions): ToolRunner {
    return httpFetchTool(this.#egress, { ...opts, caps: { ...this.#caps, ...opts.caps } });
  }

  /** The approved tools of a registered MCP server (see mcp-tool-runners.ts); MCP_SERVER_NOT_FOUND if none. */
  mcp(input: { tenantId: string; serverName: string; prefix?: string; caps?: Partial<ToolCaps> }): Promise<ToolRunner[]> {
    return mcpToolRunners(this.#mcp, { ...input, caps: { ...this.#caps, ...input.caps } });
  }

  /** The runners of one manifest entry: one for `http_fetch`, one per approved tool for `mcp_server`. */
  async create(req: OutboundToolRequest): Promise<ToolRunner[]> {
    const e = req.entry;
    if (e.kind === 'http_fetch') {
      const tool = this.httpFetch({ allow: e.allow, headers: secretHeaders(e.headers), ...(e.name ? { name: e.name } : {}) });
      return [e.description ? { ...tool, spec: { ...tool.spec, description: `${e.description}\n${tool.spec.description}` } } : tool];
    }
    return this.mcp({ tenantId: req.tenantId, serverName: e.server, ...(e.name ? { prefix: e.name } : {}) });
  }

  /** Closes the pooled sockets (a stopping server). */
  close(): void {
    this.#egress.close();
  }
}
