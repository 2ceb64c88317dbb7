import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  Agentd,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  BadRequestError,
  backoffDelayMs,
  ConflictError,
  InternalServerError,
  NotFoundError,
  parseRetryAfterMs,
  RateLimitError,
} from '../src/index.ts';
import { sendError, sendJson, startTestServer, type TestServer } from './helpers/http-test-server.ts';
import { assertNoLeaks } from './helpers/leak-check.ts';

const RUN = { id: 'run_1', status: 'queued' };
const PARAMS = { agent: 'greeter', endpoint: 'greet', input: { name: 'Ada' } };

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await assertNoLeaks();
});

/** A server that answers the scripted responses in order, then 200 RUN forever. */
async function scripted(...steps: Array<(res: import('node:http').ServerResponse) => void>): Promise<Agentd> {
  let i = 0;
  server = await startTestServer((_req, res) => {
    const step = steps[i++];
    if (step) step(res);
    else sendJson(res, 200, RUN);
  });
  return new Agentd({ baseURL: server.url, apiKey: 'agd_test' });
}

describe('retry policy', () => {
  it('retries a 503 with backoff, then succeeds, with one Idempotency-Key', async () => {
    const client = await scripted((res) => sendError(res, 503, 'UNAVAILABLE'));
    const started = Date.now();
    assert.deepEqual(await client.runs.create(PARAMS), RUN);
    const elapsed = Date.now() - started;
    assert.equal(server!.requests.length, 2);
    assert.ok(elapsed >= 370, `first backoff is about 0.5 s, was ${elapsed} ms`);
    const [first, second] = server!.requests.map((r) => r.headers['idempotency-key']);
    assert.match(String(first), /^[0-9a-f-]{36}$/);
    assert.equal(first, second);
    assert.equal(server!.requests[0].headers.authorization, 'Bearer agd_test');
  });

  it('gives each logical call its own key and uses the caller’s when given', async () => {
    const client = await scripted();
    await client.runs.create(PARAMS);
    await client.runs.create(PARAMS, { idempotencyKey: 'mine-1' });
    const keys = server!.requests.map((r) => r.headers['idempotency-key']);
    assert.notEqual(keys[0], undefined);
    assert.equal(keys[1], 'mine-1');
  });

  it('sends no Idempotency-Key on GET', async () => {
    const client = await scripted();
    await client.runs.retrieve('run_1');
    assert.equal(server!.requests[0].headers['idempotency-key'], undefined);
  });

  it('honours Retry-After in seconds', async () => {
    const client = await scripted((res) => sendError(res, 429, 'RATE_LIMITED', { 'retry-after': '1' }));
    const started = Date.now();
    await client.runs.retrieve('run_1');
    assert.ok(Date.now() - started >= 990, 'waited the full second');
    assert.equal(server!.requests.length, 2);
  });

  it('honours retry-after-ms', async () => {
    const client = await scripted((res) => sendError(res, 503, 'UNAVAILABLE', { 'retry-after-ms': '20' }));
    const started = Date.now();
    await client.runs.retrieve('run_1');
    assert.ok(Date.now() - started < 350, 'used 20 ms, not the 0.5 s backoff');
  });

  it('does not retry a 400, and exposes the error body', async () => {
    const client = await scripted((res) => sendError(res, 400, 'VALIDATION_ERROR'));
    await assert.rejects(client.runs.create(PARAMS), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'VALIDATION_ERROR');
      assert.equal(err.requestId, 'req_err');
      assert.equal(err.headers?.get('x-request-id'), 'req_test');
      return true;
    });
    assert.equal(server!.requests.length, 1);
  });

  it('retries 409 IDEMPOTENCY_IN_FLIGHT', async () => {
    const client = await scripted((res) => sendError(res, 409, 'IDEMPOTENCY_IN_FLIGHT', { 'retry-after-ms': '10' }));
    assert.deepEqual(await client.runs.create(PARAMS), RUN);
    assert.equal(server!.requests.length, 2);
  });

  it('does not retry 409 LEASE_LOST', async () => {
    const client = await scripted((res) => sendError(res, 409, 'LEASE_LOST', { 'retry-after-ms': '10' }));
    await assert.rejects(client.leases.heartbeat('lease_1'), (err: unknown) => err instanceof ConflictError && err.code === 'LEASE_LOST');
    assert.equal(server!.requests.length, 1);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const fail = (res: import('node:http').ServerResponse) => sendError(res, 500, 'INTERNAL', { 'retry-after-ms': '5' });
    const client = await scripted(fail, fail, fail, fail);
    await assert.rejects(client.runs.retrieve('run_1'), InternalServerError);
    assert.equal(server!.requests.length, 3);
  });

  it('respects a per-call maxRetries of 0', async () => {
    const client = await scripted((res) => sendError(res, 429, 'RATE_LIMITED'));
    await assert.rejects(client.runs.retrieve('run_1', { maxRetries: 0 }), RateLimitError);
    assert.equal(server!.requests.length, 1);
  });

  it('retries a timed-out try and then succeeds', async () => {
    let calls = 0;
    server = await startTestServer((_req, res) => {
      // The first request is left hanging; the client must abandon it after its timeout.
      if (calls++ > 0) sendJson(res, 200, RUN);
    });
    const client = new Agentd({ baseURL: server.url, timeout: 100 });
    assert.deepEqual(await client.runs.retrieve('run_1'), RUN);
    assert.equal(calls, 2);
  });

  it('throws APIConnectionTimeoutError when every try times out', async () => {
    server = await startTestServer(() => {});
    const client = new Agentd({ baseURL: server.url, timeout: 50, maxRetries: 0 });
    await assert.rejects(client.runs.retrieve('run_1'), APIConnectionTimeoutError);
  });

  it('throws APIConnectionError when nothing listens', async () => {
    server = await startTestServer(() => {});
    const url = server.url;
    await server.close();
    server = undefined;
    const client = new Agentd({ baseURL: url, maxRetries: 1 });
    await assert.rejects(client.runs.retrieve('run_1'), (err: unknown) => err instanceof APIConnectionError && err.status === undefined);
  });

  it('throws APIUserAbortError when the caller aborts, without retrying', async () => {
    server = await startTestServer(() => {});
    const client = new Agentd({ baseURL: server.url });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(client.runs.retrieve('run_1', { signal: ac.signal }), APIUserAbortError);
    assert.equal(server.requests.length, 1);
  });

  it('maps statuses to classes and keeps a non-JSON body as the message', async () => {
    const client = await scripted((res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>nope</h1>');
    });
    await assert.rejects(client.runs.retrieve('x'), (err: unknown) => err instanceof NotFoundError && err.message.includes('nope'));
  });
});

describe('retry delays', () => {
  it('doubles from 0.5 s to an 8 s cap, jittered down by at most 25%', () => {
    const none = () => 0;
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, { random: none })), [500, 1000, 2000, 4000, 8000, 8000]);
    assert.equal(backoffDelayMs(0, { random: () => 0.999 }), 375);
  });

  it('parses Retry-After as seconds, HTTP date and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': '3' }), now), 3000);
    assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now), 5000);
    assert.equal(parseRetryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250);
    assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': '3600' }), now), 60_000);
  });
});
