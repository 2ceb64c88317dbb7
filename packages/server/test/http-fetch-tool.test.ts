/**
 * The `http_fetch` tool against real HTTP servers on loopback (TESTPLAN 25, 26, 28): only allowed
 * hosts, on every hop; the egress policy judged on the address connected (loopback, `[::1]`,
 * `::ffff:127.0.0.1`, `0.0.0.0`, decimal and octal forms, metadata, private ranges, a name that
 * resolves to loopback, a redirect to any of them, `file:`); a secret header sent to the allowed
 * host only, dropped on a redirect to another origin, and redacted from what the model gets;
 * arguments validated; replies capped in bytes (a 5 MB body) and time (a slow drip).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EgressClient, EgressPolicy, type Resolver } from '../src/egress/index.ts';
import { httpFetchTool, type ToolCallRequest, type ToolOutcome } from '../src/tools/index.ts';
import { OutboundTools, secretHeaders, type McpServerService } from '../src/mcp/index.ts';

const CANARY = 'fetch-canary-4b1e88d0c2';

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        seen,
        close: () => {
          server.closeAllConnections();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

const call = (args: unknown, secrets: Record<string, string> = { api_key: CANARY }, signal = new AbortController().signal): ToolCallRequest => ({
  tenantId: 't',
  runId: 'run_1',
  agentName: 'assistant',
  toolCallId: 'call_1',
  args,
  signal,
  secret: async (name) => secrets[name],
});
const code = (o: ToolOutcome) => (o.ok ? 'ok' : o.error.code);

describe('http_fetch tool', () => {
  let api: Awaited<ReturnType<typeof serve>>;
  let other: Awaited<ReturnType<typeof serve>>;
  /** Names the tests resolve without DNS: `api.test` and `other.test` stand for public hosts. */
  const names: Record<string, string> = { 'api.test': '127.0.0.1', 'other.test': '127.0.0.1', 'evil.test': '127.0.0.2' };
  const resolve: Resolver = async (host) => {
    const a = names[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address: a, family: 4 }];
  };
  // 127.0.0.1 is "public" for these tests (the servers listen there); every other special address is refused.
  const egress = new EgressClient({ policy: new EgressPolicy(['127.0.0.1']), resolve });
  const strict = new EgressClient({ policy: new EgressPolicy(), resolve });

  before(async () => {
    other = await serve((req, res) => res.end(JSON.stringify({ other: true, headers: req.headers })));
    api = await serve((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/echo') return void res.end(JSON.stringify({ headers: req.headers, method: req.method }));
      if (u.pathname === '/redirect') return void res.writeHead(302, { location: u.searchParams.get('to') ?? '/' }).end();
      if (u.pathname === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < 5 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return void pump();
      }
      if (u.pathname === '/drip') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const t = setInterval(() => res.write('.'), 20);
        res.on('close', () => clearInterval(t));
        return;
      }
      res.end('hello');
    });
  });
  after(async () => {
    egress.close();
    strict.close();
    await api?.close();
    await other?.close();
  });

  it('fetches an allowed host and tells the model the status, the final URL and the body', async () => {
    const tool = httpFetchTool(egress, { allow: ['api.test'] });
    assert.equal(tool.spec.name, 'http_fetch');
    assert.match(tool.spec.description, /api\.test/);
    const out = await tool.call(call({ url: `http://api.test:${api.port}/hello` }));
    assert.deepEqual(out, { ok: true, output: { status: 200, url: `http://api.test:${api.port}/hello`, content_type: null, body: 'hello' } });
  });

  it('refuses hosts not on the allowlist, on the first hop and after a redirect', async () => {
    const tool = httpFetchTool(egress, { allow: ['api.test'] });
    assert.equal(code(await tool.call(call({ url: `http://other.test:${other.port}/` }))), 'HOST_NOT_ALLOWED');
    const hop = await tool.call(call({ url: `http://api.test:${api.port}/redirect?to=${encodeURIComponent(`http://other.test:${other.port}/`)}` }));
    assert.equal(code(hop), 'HOST_NOT_ALLOWED', JSON.stringify(hop));
    assert.equal(other.seen.length, 0, 'the other host was never reached');
    const wild = httpFetchTool(egress, { allow: ['*.test'] });
    assert.equal(code(await wild.call(call({ url: `http://other.test:${other.port}/` }))), 'ok');
  });

  it('refuses every loopback, private, link-local and metadata spelling, names resolving to them, redirects to them and file: (TESTPLAN 25)', async () => {
    const urls = [
      `http://127.0.0.1:${api.port}/`,
      `http://[::1]:${api.port}/`,
      `http://[::ffff:127.0.0.1]:${api.port}/`,
      `http://0.0.0.0:${api.port}/`,
      `http://2130706433:${api.port}/`,
      `http://0177.0.0.1:${api.port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      `http://api.test:${api.port}/`,
    ];
    const before = api.seen.length;
    for (const url of urls) {
      const host = new URL(url).hostname;
      const tool = httpFetchTool(strict, { allow: [host] });
      const out = await tool.call(call({ url }));
      assert.equal(code(out), 'EGRESS_REFUSED', `${url}: ${JSON.stringify(out)}`);
    }
    assert.equal(api.seen.length, before, 'nothing reached the loopback server');
    const file = await httpFetchTool(strict, { allow: ['etc'] }).call(call({ url: 'file:///etc/passwd' }));
    assert.equal(code(file), 'EGRESS_REFUSED');
    // Loopback allowed by the server's allowlist, 127.0.0.2 is not: a name resolving to it, and a redirect to it.
    const tool = httpFetchTool(egress, { allow: ['api.test', 'evil.test', '127.0.0.2', '169.254.169.254', '10.0.0.1'] });
    const first = api.seen.length;
    assert.equal(code(await tool.call(call({ url: `http://evil.test:${api.port}/` }))), 'EGRESS_REFUSED');
    for (const to of [`http://127.0.0.2:${api.port}/`, `http://evil.test:${api.port}/`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/']) {
      const out = await tool.call(call({ url: `http://api.test:${api.port}/redirect?to=${encodeURIComponent(to)}` }));
      assert.equal(code(out), 'EGRESS_REFUSED', `redirect to ${to}: ${JSON.stringify(out)}`);
    }
    assert.deepEqual(api.seen.slice(first).map((s) => s.path.split('?')[0]), ['/redirect', '/redirect', '/redirect', '/redirect'], 'only the first hops arrived');
  });

  it('sends a secret header to the allowed host only, drops it on a redirect to another origin and redacts an echo of it (TESTPLAN 26)', async () => {
    const tool = httpFetchTool(egress, { allow: ['api.test', 'other.test'], headers: [{ name: 'X-Api-Key', secret: 'api_key' }] });
    const out = await tool.call(call({ url: `http://api.test:${api.port}/echo`, headers: { 'x-api-key': 'model-chosen', accept: 'application/json' } }));
    assert.equal(out.ok, true);
    assert.equal(api.seen.at(-1)!.headers['x-api-key'], CANARY, 'the vault value, not the model\'s');
    assert.equal(api.seen.at(-1)!.headers.accept, 'application/json');
    const text = JSON.stringify(out);
    assert.ok(!text.includes(CANARY), text);
    assert.match(text, /\[redacted\]/);
    const hop = await tool.call(call({ url: `http://api.test:${api.port}/redirect?to=${encodeURIComponent(`http://other.test:${other.port}/`)}` }));
    assert.equal(hop.ok, true, JSON.stringify(hop));
    assert.equal(other.seen.at(-1)!.headers['x-api-key'], undefined, 'not carried to another origin');
    const ungranted = await tool.call(call({ url: `http://api.test:${api.port}/echo` }, {}));
    assert.equal(code(ungranted), 'SECRET_NOT_GRANTED');
  });

  it("is made from a manifest's entry: headers name granted secrets, with an optional prefix", async () => {
    assert.deepEqual(secretHeaders({ Authorization: 'Bearer api_key', 'X-Key': 'api_key' }), [
      { name: 'Authorization', secret: 'api_key', prefix: 'Bearer ' },
      { name: 'X-Key', secret: 'api_key' },
    ]);
    assert.throws(() => secretHeaders({ 'X-Key': 'Not A Secret!' }), /must name a secret/);
    for (const allow of [[], ['https://api.test'], ['api.test:8080'], ['api.test/v1']]) assert.throws(() => httpFetchTool(egress, { allow }), /http_fetch/, JSON.stringify(allow));
    const tools = new OutboundTools({ egress, mcp: null as unknown as McpServerService });
    const [tool] = await tools.create({ tenantId: 't', agent: 'assistant', entry: { kind: 'http_fetch', allow: ['api.test'], headers: { Authorization: 'Bearer api_key' }, description: 'The orders API.' } });
    assert.match(tool.spec.description, /^The orders API\.\n/);
    const out = await tool.call(call({ url: `http://api.test:${api.port}/echo` }));
    assert.equal(out.ok, true, JSON.stringify(out));
    assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${CANARY}`);
    assert.ok(!JSON.stringify(out).includes(CANARY));
  });

  it('validates the arguments against its schema before any request', async () => {
    const tool = httpFetchTool(egress, { allow: ['api.test'] });
    const before = api.seen.length;
    for (const args of [{}, { url: 5 }, { url: 'http://api.test/', method: 'TRACE' }, { url: 'http://api.test/', extra: 1 }, 'http://api.test/']) {
      assert.equal(code(await tool.call(call(args))), 'TOOL_ARGUMENTS_INVALID', JSON.stringify(args));
    }
    assert.equal(api.seen.length, before);
  });

  it('caps a reply in bytes (a 5 MB body) and in time (a slow drip) with a clear error (TESTPLAN 28)', async () => {
    const tool = httpFetchTool(egress, { allow: ['api.test'], caps: { maxReplyBytes: 256 * 1024, timeoutMs: 10_000 } });
    const big = await tool.call(call({ url: `http://api.test:${api.port}/big` }));
    assert.equal(code(big), 'TOOL_REPLY_TOO_LARGE', JSON.stringify(big).slice(0, 200));
    assert.match((big as { error: { message: string } }).error.message, /262144 bytes/);
    const slow = httpFetchTool(egress, { allow: ['api.test'], caps: { timeoutMs: 500 } });
    const drip = await slow.call(call({ url: `http://api.test:${api.port}/drip` }));
    assert.equal(code(drip), 'TOOL_TIMEOUT', JSON.stringify(drip));
    const cancel = new AbortController();
    const pending = tool.call(call({ url: `http://api.test:${api.port}/drip` }, {}, cancel.signal));
    setTimeout(() => cancel.abort(), 50);
    assert.equal(code(await pending), 'TOOL_CANCELLED');
  });
});
