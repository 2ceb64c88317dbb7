/**
 * Hardening item 14, the findings of the fuzzer pinned down one by one: router and HTTP-parser
 * errors answer the one error body; non-finite numbers and NUL characters are refused before any
 * query (PostgreSQL answered 500 to both); NUL inside free-form JSON is stored and read back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ERROR_CODES } from '@agentd/protocol';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

/**
 * Sends raw bytes; resolves with the whole answer once the server closes the connection. A server
 * that closes while unread request bytes remain makes the kernel reset the connection: the answer
 * read before the reset still counts.
 */
function rawExchange(port: number, text: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body: rest.join('\r\n\r\n') });
    });
  });
}

/** The one error body, with a registered code whose status is the answer's. */
function assertErrorBody(status: number, text: string, code: string): void {
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'details', 'message', 'request_id']);
  assert.equal(body.error.code, code, text);
  assert.equal((ERROR_CODES as Record<string, { status: number }>)[code].status, status);
  assert.match(body.error.request_id, /^req_/);
}

for (const d of await dialects()) {
  describe(`error bodies for what the fuzzer found (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let port: number;
    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      port = Number(new URL(await t.listen()).port);
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('answers headers over the limit with 431 HEADERS_TOO_LARGE in the error body', async () => {
      const r = await rawExchange(port, `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
      assert.equal(r.status, 431);
      assertErrorBody(431, r.body, 'HEADERS_TOO_LARGE');
    });

    it('answers a malformed request (bad request line, bad header) with 400 BAD_REQUEST in the error body', async () => {
      for (const text of ['NOT HTTP AT ALL\r\n\r\n', 'GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n']) {
        const r = await rawExchange(port, text);
        assert.equal(r.status, 400, JSON.stringify(text));
        assertErrorBody(400, r.body, 'BAD_REQUEST');
      }
    });

    it('answers router errors in the error body: 414 URI_TOO_LONG, 400 BAD_REQUEST', async () => {
      const long = await t.call('GET', `/v1/runs/${'a'.repeat(3000)}`);
      assertErrorBody(long.statusCode, long.body, 'URI_TOO_LONG');
      assert.equal(long.headers['x-request-id'], long.json().error.request_id);
      const bad = await t.call('GET', '/v1/runs/%zz');
      assertErrorBody(bad.statusCode, bad.body, 'BAD_REQUEST');
    });

    it('refuses non-finite numbers in the query with 400 on every list route', async () => {
      for (const route of ['/v1/runs', '/v1/agents', '/v1/keys', '/v1/approvals', '/v1/secrets', '/v1/grants', '/v1/findings', '/v1/logs', '/v1/audit', '/v1/agents/hello/versions']) {
        for (const v of ['Infinity', '-Infinity', '1e400']) {
          const r = await t.call('GET', `${route}?limit=${v}`);
          assert.equal(r.statusCode, 400, `${route}?limit=${v}: ${r.body}`);
          assertErrorBody(400, r.body, 'VALIDATION_ERROR');
          assert.equal(r.json().error.details[0].path, 'query.limit');
        }
      }
    });

    it('refuses NUL in path, query and typed body strings with 400, before any query', async () => {
      const cases: [string, string, unknown][] = [
        ['GET', '/v1/runs/ab%00c', undefined],
        ['GET', '/v1/agents/hel%00lo', undefined],
        ['DELETE', '/v1/keys/%00', undefined],
        ['GET', '/v1/runs?agent=a%00b', undefined],
        ['POST', '/v1/runs', { agent: 'hel\u0000lo', endpoint: 'greet', input: { name: 'x' } }],
        ['POST', '/v1/secrets', { name: 'ok_name', value: 'a\u0000b' }],
        ['POST', '/v1/keys', { role: 'viewer', name: 'n\u0000' }],
      ];
      for (const [method, url, body] of cases) {
        const r = await t.call(method, url, body === undefined ? {} : { body });
        assert.equal(r.statusCode, 400, `${method} ${url}: ${r.body}`);
        assertErrorBody(400, r.body, 'VALIDATION_ERROR');
        assert.match(r.json().error.details[0].message, /NUL/);
      }
    });

    it('stores and returns NUL inside free-form JSON (run input, metadata)', async () => {
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'a\u0000b' }, metadata: { 'k\u0000': 'v\u0000' } } });
      assert.equal(r.statusCode, 201, r.body);
      const got = (await t.call('GET', `/v1/runs/${r.json().id}`)).json();
      assert.deepEqual(got.input, { name: 'a\u0000b' });
      assert.deepEqual(got.metadata, { 'k\u0000': 'v\u0000' });
    });

    it('a seq or version cursor past the database integer finds nothing newer instead of failing', async () => {
      const run = (await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'x' } } })).json();
      for (const url of [`/v1/runs/${run.id}/logs?since=2200000000`, `/v1/runs/${run.id}/events?after=99999999999`]) {
        const r = await t.call('GET', url, { headers: { accept: 'application/json' } });
        assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
        assert.deepEqual(r.json().data, []);
      }
      const v = await t.call('GET', '/v1/agents/hello/versions?cursor=99999999999');
      assert.equal(v.statusCode, 200, v.body);
      assert.equal(v.json().data.length, 1);
    });
  });
}
