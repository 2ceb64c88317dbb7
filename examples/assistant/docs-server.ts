/**
 * The assistant's MCP server: one tool, `search_docs`, over a few help-centre articles, served
 * over Streamable HTTP by the official SDK (`@modelcontextprotocol/server`: McpServer behind
 * createMcpHandler, which speaks MCP 2026-07-28 and the older `initialize` handshake) on
 * node:http. Start it with `npm run example:assistant-docs` (PORT, default 3001; DOCS_MCP_TOKEN:
 * when set, every request must carry `authorization: Bearer <it>`), then register it with agentd
 * as `docs` (examples/assistant/README.md).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';

export interface DocArticle {
  id: string;
  title: string;
  body: string;
}

export const ARTICLES: readonly DocArticle[] = [
  { id: 'refund-policy', title: 'Refund policy', body: 'Orders can be refunded within 30 days of delivery. Refunds over 100 euros need a second approver. The money is back on the card within 5 working days.' },
  { id: 'shipping', title: 'Shipping times', body: 'Standard shipping takes 2 to 4 working days inside the EU and 5 to 10 days elsewhere. Express shipping arrives the next working day when ordered before 14:00.' },
  { id: 'returns', title: 'Returning an item', body: 'Print the return label from your order page, pack the item in its original box and drop it at any parcel shop. Returns are free inside the EU.' },
  { id: 'warranty', title: 'Warranty', body: 'Every product has a two-year warranty against manufacturing defects. Keep the order number: it is your proof of purchase.' },
];

/** The articles that contain every word of `query` (case-insensitive), best first (most hits). */
export function searchDocs(query: string, limit = 3): DocArticle[] {
  const words = query.toLowerCase().split(/\W+/).filter((w) => w.length > 2);
  const scored = ARTICLES.map((a) => {
    const text = `${a.title} ${a.body}`.toLowerCase();
    return { a, hits: words.filter((w) => text.includes(w)).length };
  });
  return scored.filter((s) => s.hits > 0).sort((x, y) => y.hits - x.hits).slice(0, limit).map((s) => s.a);
}

const SEARCH_INPUT = {
  type: 'object',
  properties: {
    query: { type: 'string', description: 'Words to look for, e.g. "refund days"' },
    limit: { type: 'integer', minimum: 1, maximum: 10, description: 'At most this many articles (default 3)' },
  },
  required: ['query'],
  additionalProperties: false,
} as const;

/** A fresh server per request (the handler asks for one): the tools are defined once, here. */
function docsServer(calls: string[]): McpServer {
  const server = new McpServer({ name: 'assistant-docs', version: '1.0.0' });
  server.registerTool(
    'search_docs',
    { description: 'Searches the help-centre articles (refunds, shipping, returns, warranty) and returns the matching ones.', inputSchema: fromJsonSchema<{ query: string; limit?: number }>(SEARCH_INPUT) },
    async ({ query, limit }) => {
      calls.push(query);
      const found = searchDocs(query, limit ?? 3);
      const text = found.length === 0 ? `No article matches "${query}".` : found.map((a) => `# ${a.title} (${a.id})\n${a.body}`).join('\n\n');
      return { content: [{ type: 'text', text }] };
    },
  );
  return server;
}

export interface DocsServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:3001/mcp. */
  url: string;
  /** The queries `search_docs` answered, in order. */
  calls: string[];
  close(): Promise<void>;
}

export async function startDocsServer(opts: { port?: number; host?: string; token?: string } = {}): Promise<DocsServer> {
  const calls: string[] = [];
  const handler = createMcpHandler(() => docsServer(calls));
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') return void res.writeHead(404).end('not found: the MCP endpoint is /mcp');
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) return void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('unauthorized');
    // node:http to the handler's web-standard face (what @modelcontextprotocol/node's toNodeHandler does).
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    const method = req.method ?? 'GET';
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
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}/mcp`,
    calls,
    close: async () => {
      await handler.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.main) {
  const docs = await startDocsServer({ port: Number(process.env.PORT ?? 3001), token: process.env.DOCS_MCP_TOKEN || undefined });
  console.log(`docs MCP server on ${docs.url} (tool: search_docs)${process.env.DOCS_MCP_TOKEN ? ', bearer token required' : ''}`);
  const stop = () => void docs.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
