import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { Agentd, EventStream, NotFoundError, SseParseError, type RunEvent } from '../src/index.ts';
import { sendError, sendJson, startTestServer, type TestServer } from './helpers/http-test-server.ts';
import { assertNoLeaks } from './helpers/leak-check.ts';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await assertNoLeaks();
});

function event(seq: number, type = 'run.log'): RunEvent {
  return { id: `evt_${seq}`, seq, type, run_id: 'run_1', agent: 'greeter', at: '2026-01-01T00:00:00.000Z', data: {} };
}

function openSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

function frame(e: RunEvent, id: string | number = e.seq, eol = '\n'): string {
  return `id: ${id}${eol}event: ${e.type}${eol}data: ${JSON.stringify(e)}${eol}${eol}`;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe('run event stream', () => {
  it('resumes with Last-Event-ID after a dropped connection, without duplicates, and ends at the terminal event', async () => {
    let connections = 0;
    let secondClosed: Promise<void> | undefined;
    server = await startTestServer((req, res, raw) => {
      openSse(res);
      if (connections++ === 0) {
        res.write(': ping\n\n' + frame(event(1)) + frame(event(2)));
        // Half a frame, then the connection dies: the client must not deliver event 3 from it.
        res.write('id: 3\nevent: run.log\ndata: {"seq"');
        setTimeout(() => raw.socket.destroy(), 20);
        return;
      }
      secondClosed = new Promise((resolve) => res.on('close', () => resolve()));
      // A server that repeats the last event on resume must not produce a duplicate.
      res.write(frame(event(2)) + frame(event(3)) + frame(event(4, 'run.succeeded')));
      // Left open on purpose: the client ends the stream after the terminal event by itself.
    });
    const client = new Agentd({ baseURL: server.url });
    const events = await collect(client.runs.events('run_1'));
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4]);
    assert.equal(connections, 2);
    assert.equal(server.requests[0].headers['last-event-id'], undefined);
    assert.equal(server.requests[1].headers['last-event-id'], '2');
    assert.equal(server.requests[0].headers.accept, 'text/event-stream');
    await secondClosed;
  });

  it('starts after the given seq with ?after= and reads CRLF frames', async () => {
    server = await startTestServer((_req, res) => {
      openSse(res);
      res.end(frame(event(6), 6, '\r\n') + frame(event(7, 'run.failed'), 7, '\r\n'));
    });
    const client = new Agentd({ baseURL: server.url });
    const stream = client.runs.events('run_1', { after: 5 });
    assert.deepEqual((await collect(stream)).map((e) => e.seq), [6, 7]);
    assert.equal(server.requests[0].url.searchParams.get('after'), '5');
    assert.equal(stream.lastEventId, '7');
  });

  it('throws on bad JSON instead of skipping or reconnecting', async () => {
    server = await startTestServer((_req, res) => {
      openSse(res);
      res.end('id: 1\nevent: run.log\ndata: {oops\n\n');
    });
    const client = new Agentd({ baseURL: server.url });
    await assert.rejects(collect(client.runs.events('run_1')), SseParseError);
    assert.equal(server.requests.length, 1);
  });

  it('throws a final HTTP error without reconnecting', async () => {
    server = await startTestServer((_req, res) => sendError(res, 404, 'RUN_NOT_FOUND'));
    const client = new Agentd({ baseURL: server.url });
    await assert.rejects(collect(client.runs.events('run_x')), (err: unknown) => err instanceof NotFoundError && err.code === 'RUN_NOT_FOUND');
    assert.equal(server.requests.length, 1);
  });

  it('replaces a connection that went silent', async () => {
    let connections = 0;
    server = await startTestServer((_req, res) => {
      openSse(res);
      if (connections++ === 0) res.write(frame(event(1)));
      else res.end(frame(event(2, 'run.cancelled')));
    });
    const client = new Agentd({ baseURL: server.url });
    const stream = new EventStream<RunEvent>({
      client,
      path: '/v1/runs/run_1/events',
      idleTimeoutMs: 100,
      isLast: (e) => e.type === 'run.cancelled',
    });
    assert.deepEqual((await collect(stream)).map((e) => e.seq), [1, 2]);
    assert.equal(server.requests[1].headers['last-event-id'], '1');
  });
});

describe('tenant event stream', () => {
  it('resumes after the server closes, sends its filters, and ends quietly when the caller aborts', async () => {
    let connections = 0;
    server = await startTestServer((_req, res) => {
      openSse(res);
      if (++connections === 1) {
        res.write('retry: 10\n\n');
        res.end(frame(event(1), '101'));
      } else res.write(frame(event(2), '102'));
    });
    const client = new Agentd({ baseURL: server.url });
    const ac = new AbortController();
    const ids: string[] = [];
    for await (const e of client.events.stream({ type: 'run.*', agent: 'greeter', signal: ac.signal })) {
      ids.push(e.id);
      if (ids.length === 2) ac.abort();
    }
    assert.deepEqual(ids, ['evt_1', 'evt_2']);
    const q = server.requests[0].url.searchParams;
    assert.equal(q.get('type'), 'run.*');
    assert.equal(q.get('agent'), 'greeter');
    assert.equal(server.requests[1].headers['last-event-id'], '101');
    assert.equal(server.requests[1].url.searchParams.get('after'), null);
  });
});

describe('createAndWait', () => {
  it('follows the stream to the terminal event, then retrieves the run', async () => {
    server = await startTestServer((req, res) => {
      if (req.method === 'POST') return sendJson(res, 201, { id: 'run_1', status: 'queued' });
      if (req.url.pathname.endsWith('/events')) {
        openSse(res);
        res.end(frame(event(1, 'run.queued')) + frame(event(2, 'run.succeeded')));
        return;
      }
      sendJson(res, 200, { id: 'run_1', status: 'succeeded', output: { text: 'hi' } });
    });
    const client = new Agentd({ baseURL: server.url });
    const run = await client.runs.createAndWait({ agent: 'greeter', endpoint: 'greet', input: {} }, { timeoutMs: 5000 });
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.url.pathname}`), ['POST /v1/runs', 'GET /v1/runs/run_1/events', 'GET /v1/runs/run_1']);
  });

  it('falls back to polling when the stream keeps failing', async () => {
    let polls = 0;
    server = await startTestServer((req, res) => {
      if (req.method === 'POST') return sendJson(res, 201, { id: 'run_1', status: 'queued' });
      if (req.url.pathname.endsWith('/events')) return sendError(res, 503, 'UNAVAILABLE', { 'retry-after-ms': '1' });
      sendJson(res, 200, { id: 'run_1', status: polls++ === 0 ? 'running' : 'failed' });
    });
    const client = new Agentd({ baseURL: server.url, maxRetries: 0 });
    const run = await client.runs.createAndWait({ agent: 'greeter', endpoint: 'greet', input: {} });
    assert.equal(run.status, 'failed');
    assert.equal(polls, 2);
  });
});
