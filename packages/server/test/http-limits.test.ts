/** TESTPLAN 32 at the socket: huge headers are refused with 431 before any route runs. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createSqliteDatabase, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

/** Sends raw bytes and returns the status line of the answer. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.split('\r\n')[0]);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0]));
  });
}

describe('HTTP limits', () => {
  let db: TestDatabase;
  let t: TestApp;
  let port: number;
  before(async () => {
    db = await createSqliteDatabase();
    t = await startTestApp(db);
    port = Number(new URL(await t.listen()).port);
  });
  after(async () => {
    await t?.close();
    await db?.cleanup();
  });

  it('answers 431 to headers over the limit, and still serves the next request', async () => {
    const huge = `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    assert.match(await rawRequest(port, huge), /^HTTP\/1\.1 431/);
    assert.match(await rawRequest(port, 'GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200/);
  });

  it('answers 413 with the error body to a body over the limit sent at the socket', async () => {
    const body = JSON.stringify({ agent: 'a', endpoint: 'b', input: 'x'.repeat(1_100_000) });
    const req = `POST /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    assert.match(await rawRequest(port, req), /^HTTP\/1\.1 413/);
  });
});
