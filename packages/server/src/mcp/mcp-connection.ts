import { createHash } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { McpTool } from '@agentd/protocol';
import { canonicalJson } from '../core/index.ts';
import { egressFetch, type EgressClient } from '../egress/index.ts';

/** Where an MCP server is and what every request to it carries (its auth header, if any). */
export interface McpTarget {
  url: string;
  headers: Record<string, string>;
}

export interface McpExchangeOptions {
  /** Ends the whole exchange (connect, requests, answers): the caller's time cap and cancel. */
  signal: AbortSignal;
  /** Requests' own timeout in the SDK, ms (the signal is the real cap; this names the error). */
  timeoutMs: number;
  /** Bytes of one HTTP answer read before it is cut (a tool reply, a tool list). */
  maxReplyBytes: number;
}

const CLIENT_INFO = { name: 'agentd', version: '0.1.0' };

/**
 * One exchange with an MCP server over Streamable HTTP, by the SDK's Client: the era is
 * negotiated (`server/discover` for 2026-07-28 servers, `initialize` for older ones), then `fn`
 * runs, then the client closes. Every connection goes through the egress client (the policy on
 * each connected address, answers capped in bytes); the SDK follows same-origin redirects only,
 * and each one is checked again by the same fetch.
 */
export async function withMcpClient<T>(egress: EgressClient, target: McpTarget, opts: McpExchangeOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  const fetch = egressFetch(egress, { maxResponseBytes: opts.maxReplyBytes, signal: opts.signal, originHeaders: Object.keys(target.headers) });
  const transport = new StreamableHTTPClientTransport(new URL(target.url), { fetch, requestInit: { headers: target.headers } });
  const client = new Client(CLIENT_INFO, { versionNegotiation: { mode: 'auto' } });
  try {
    await client.connect(transport, { signal: opts.signal, timeout: opts.timeoutMs });
    return await fn(client);
  } finally {
    // Closing only aborts the transport's own requests and forgets the session id (the SDK sends
    // nothing): it holds nothing that a failure could leave open, and the exchange's answer stands.
    await client.close().catch(() => undefined);
  }
}

/**
 * One MCP server's client for the length of an LLM loop: connected (the era negotiated) on the
 * first call, reused by the calls after it, closed when the loop ends. Each exchange is still
 * capped by its own call's signal and reply cap (the fetch reads `opts()` per request), and a
 * call that fails drops the client, so the next one connects afresh. A target whose headers
 * changed (another auth secret value) gets a new client. The loop's calls are one at a time.
 */
export class McpSession {
  readonly #egress: EgressClient;
  #current: { key: string; client: Client } | null = null;
  #call: McpExchangeOptions | null = null;
  #closed = false;

  constructor(egress: EgressClient) {
    this.#egress = egress;
  }

  /** Runs `fn` with the session's client for `target`, under this call's `opts`. */
  async use<T>(target: McpTarget, opts: McpExchangeOptions, fn: (client: Client) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('the MCP session is closed');
    this.#call = opts;
    const key = canonicalJson(target);
    try {
      if (this.#current?.key !== key) {
        await this.#drop();
        const session = this;
        const fetchOpts = {
          get maxResponseBytes() {
            return session.#call?.maxReplyBytes ?? opts.maxReplyBytes;
          },
          get signal() {
            return session.#call?.signal;
          },
          originHeaders: Object.keys(target.headers),
        };
        const transport = new StreamableHTTPClientTransport(new URL(target.url), { fetch: egressFetch(this.#egress, fetchOpts), requestInit: { headers: target.headers } });
        const client = new Client(CLIENT_INFO, { versionNegotiation: { mode: 'auto' } });
        this.#current = { key, client };
        await client.connect(transport, { signal: opts.signal, timeout: opts.timeoutMs });
      }
      return await fn(this.#current!.client);
    } catch (err) {
      await this.#drop();
      throw err;
    } finally {
      this.#call = null;
    }
  }

  async #drop(): Promise<void> {
    const c = this.#current;
    this.#current = null;
    // As in withMcpClient: closing aborts the client's own requests and holds nothing a failure
    // could leave open; the call's own error is what the caller hears.
    await c?.client.close().catch(() => undefined);
  }

  /** Closes the client (the loop ended); later calls are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#drop();
  }
}

/** The server's tools as agentd pins them: name, description and input schema, sorted by name. */
export async function listMcpTools(client: Client, opts: McpExchangeOptions): Promise<McpTool[]> {
  const { tools } = await client.listTools(undefined, { signal: opts.signal, timeout: opts.timeoutMs, cacheMode: 'bypass' });
  return tools
    .map((t) => ({ name: t.name, description: t.description ?? '', input_schema: t.inputSchema as Record<string, unknown> }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** SHA-256 (hex) of the tools' canonical JSON: a changed name, description or schema changes it. */
export function toolsHash(tools: readonly McpTool[]): string {
  return createHash('sha256').update(canonicalJson(tools)).digest('hex');
}
