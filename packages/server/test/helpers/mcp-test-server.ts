/**
 * A real MCP server for tests: `@modelcontextprotocol/server`'s McpServer behind its
 * `createMcpHandler` (Streamable HTTP, the 2026-07-28 era and the older `initialize` one), served
 * by node:http on 127.0.0.1. Its tools are built per request from `state`, so a test changes a
 * description between two calls as a real server's deploy would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';

export interface McpTestState {
  echoDescription: string;
  /** Headers of every HTTP request the server received, in order. */
  requests: http.IncomingHttpHeaders[];
  /** Tool calls the server's handlers ran, by tool name. */
  calls: string[];
  /** The JSON-RPC methods of every POST, in order (`server/discover`, `initialize`: a client connecting). */
  methods: string[];
}

export interface McpTestServer {
  url: string;
  state: McpTestState;
  close(): Promise<void>;
}

const TEXT = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false } as const;
const SIZE = { type: 'object', properties: { bytes: { type: 'integer' } }, required: ['bytes'] } as const;
const EMPTY = { type: 'object', properties: {} } as const;

/** `legacy`: the server answers `server/discover` as a 2025 server does (method not found), so clients fall back to `initialize`. */
export async function startMcpTestServer(opts: { legacy?: boolean } = {}): Promise<McpTestServer> {
  const state: McpTestState = { echoDescription: 'Echoes its text.', requests: [], calls: [], methods: [] };
  let lastAuth = '';
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'test-tools', version: '1.0.0' });
    server.registerTool('echo', { description: state.echoDescription, inputSchema: fromJsonSchema<{ text: string }>(TEXT) }, async ({ text }) => {
      state.calls.push('echo');
      return { content: [{ type: 'text', text: `echo: ${text}` }] };
    });
    // Repeats the auth header it was sent: the outcome must not hand it to the model.
    server.registerTool('whoami', { description: 'Says which credential it was called with.', inputSchema: fromJsonSchema(EMPTY) }, async () => {
      state.calls.push('whoami');
      return { content: [{ type: 'text', text: `you sent ${lastAuth}` }] };
    });
    server.registerTool('big', { description: 'Returns that many bytes.', inputSchema: fromJsonSchema<{ bytes: number }>(SIZE) }, async ({ bytes }) => {
      state.calls.push('big');
      return { content: [{ type: 'text', text: 'x'.repeat(bytes) }] };
    });
    server.registerTool('stall', { description: 'Never answers.', inputSchema: fromJsonSchema(EMPTY) }, async (_args, ctx) => {
      state.calls.push('stall');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 60_000);
        const signal = (ctx as { mcpReq?: { signal?: AbortSignal } }).mcpReq?.signal;
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      return { content: [{ type: 'text', text: 'late' }] };
    });
    server.registerTool('fail', { description: 'Reports an error.', inputSchema: fromJsonSchema(EMPTY) }, async () => ({ content: [{ type: 'text', text: 'it broke' }], isError: true }));
    return server;
  });
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    state.requests.push(req.headers);
    lastAuth = String(req.headers.authorization ?? req.headers['x-api-key'] ?? '');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    const method = req.method ?? 'GET';
    if (method === 'POST') {
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString() || 'null') as unknown;
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (m && typeof (m as { method?: unknown }).method === 'string') state.methods.push((m as { method: string }).method);
      } catch {
        // not JSON: the handler answers it
      }
    }
    if (opts.legacy && method === 'POST') {
      const msg = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { id?: unknown; method?: string };
      if (msg.method === 'server/discover') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }));
        return;
      }
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks) });
    try {
      const response = await handler.fetch(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    state,
    close: async () => {
      await handler.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
