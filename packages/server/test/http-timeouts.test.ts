/**
 * TESTPLAN 33 at the socket, against a listening server: slowloris (headers trickled) and slow
 * bodies are closed by the header and request timeouts with the one error body; Node's own
 * client errors answer with it too; long-polls and streams outlive the request timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createSqliteDatabase, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

interface Exchange {
  /** Everything the server sent. */
  reply: string;
  /** ms from the first byte sent to the server's close; null if still open at the bound. */
  closedAfterMs: number | null;
}

/**
 * Sends `head`, then one byte of `trickle` every `everyMs`, until the server closes or `boundMs`
 * passes (then the client closes and says so).
 */
function trickle(port: number, head: string, drip: string, everyMs: number, boundMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let reply = '';
    let sent = 0;
    const start = Date.now();
    let timer: NodeJS.Timeout | null = null;
    const finish = (closedAfterMs: number | null) => {
      if (timer) clearInterval(timer);
      clearTimeout(bound);
      socket.destroy();
      resolve({ reply, closedAfterMs });
    };
    const bound = setTimeout(() => finish(null), boundMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      if (head) socket.write(head);
      if (drip) timer = setInterval(() => socket.write(drip[sent++ % drip.length]), everyMs);
    });
    socket.on('data', (c: string) => (reply += c));
    socket.on('close', () => finish(Date.now() - start));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? finish(Date.now() - start) : reject(err)));
  });
}

function errorOf(reply: string): { status: number; code: string; requestId: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
  const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
  return { status, code: body.error.code, requestId: body.error.request_id };
}

describe('HTTP timeouts and client errors (real sockets)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let port: number;
  before(async () => {
    db = await createSqliteDatabase();
    t = await startTestApp(db, { config: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 1000, leaseWaitMs: 3000 } });
    port = Number(new URL(await t.listen()).port);
    await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
  });
  after(async () => {
    await t?.close();
    await db?.cleanup();
  });

  it('closes slowloris (a header byte every 100 ms, never finished) with 408 REQUEST_TIMEOUT', async () => {
    const x = await trickle(port, 'GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'abcdefgh', 100, 15_000);
    assert.notEqual(x.closedAfterMs, null, 'the server never closed the connection');
    const e = errorOf(x.reply);
    assert.deepEqual([e.status, e.code], [408, 'REQUEST_TIMEOUT']);
    assert.match(e.requestId, /^req_/);
  });

  it('closes a slow body (Content-Length 1000, a byte every 100 ms) with 408', async () => {
    const head = `POST /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const x = await trickle(port, head, ' ', 100, 15_000);
    assert.notEqual(x.closedAfterMs, null, 'the server never closed the connection');
    assert.deepEqual(errorOf(x.reply).code, 'REQUEST_TIMEOUT');
  });

  it('closes a connection that never sends a byte', async () => {
    const x = await trickle(port, '', '', 0, 15_000);
    assert.notEqual(x.closedAfterMs, null, 'an idle new connection was kept open');
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const x = await trickle(port, 'GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n', '', 0, 15_000);
    assert.match(x.reply, /^HTTP\/1\.1 200/);
    assert.match(x.reply, /Keep-Alive: timeout=1/);
    assert.notEqual(x.closedAfterMs, null);
  });

  it('answers a malformed request with 400 BAD_REQUEST and headers over the limit with 431 HEADERS_TOO_LARGE', async () => {
    const bad = await trickle(port, 'NOT HTTP AT ALL\r\n\r\n', '', 0, 10_000);
    assert.deepEqual([errorOf(bad.reply).status, errorOf(bad.reply).code], [400, 'BAD_REQUEST']);
    const big = await trickle(port, `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, '', 0, 10_000);
    assert.deepEqual([errorOf(big.reply).status, errorOf(big.reply).code], [431, 'HEADERS_TOO_LARGE']);
  });

  it('lets a long-poll and an event stream outlive the request timeout', async () => {
    const workerKey = await t.keyFor('worker');
    const body = JSON.stringify({ agent: 'hello', wait_ms: 3000 });
    const poll = await trickle(
      port,
      `POST /v1/worker/lease HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${workerKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      '',
      0,
      15_000,
    );
    assert.match(poll.reply, /^HTTP\/1\.1 200/);
    assert.match(poll.reply, /"tasks":\[\]/);
    const stream = await trickle(port, `GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminKey}\r\n\r\n`, '', 0, 3500);
    assert.equal(stream.closedAfterMs, null, 'the stream was cut');
    assert.match(stream.reply, /^HTTP\/1\.1 200/);
  });

  it('still serves afterwards', async () => {
    assert.equal((await t.call('GET', '/v1/health', { key: null })).statusCode, 200);
  });
});
