/**
 * TESTPLAN 34 and issue 8 item 8: a cap on open streams per key, a reader that stops reading is
 * dropped and resumes with Last-Event-ID, and 10,000 concurrent streams (readers, never-readers,
 * clients that vanish) leave the server's memory near its baseline. Figures printed: RSS before,
 * during and after.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSqliteDatabase, type TestDatabase } from './helpers/dialects.ts';
import { childEnv, LineProcess, REPO_ROOT, killAllChildren, waitUntil } from './helpers/server-process.ts';
import { readSse } from './helpers/sse-client.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

const SWARM = resolve(REPO_ROOT, 'packages/server/test/fixtures/sse-swarm.ts');
const mb = (bytes: number) => Math.round(bytes / 1048576);

/** A full garbage collection, so "after" measures what is still held, not what awaits collection. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
interface Mem {
  rss: number;
  heap: number;
}
const memory = (): Mem => {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
};

/** Status of a GET whose answer is a stream or an error; the socket is closed after the headers. */
function statusOf(port: number, path: string, key: string): Promise<{ status: number; head: string }> {
  return new Promise((done, fail) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nAccept: text/event-stream\r\n\r\n`));
    let head = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => {
      head += c;
      if (head.includes('\r\n\r\n')) {
        s.destroy();
        done({ status: Number(head.slice(9, 12)), head });
      }
    });
    s.on('error', fail);
  });
}

describe('SSE stream caps and slow readers', () => {
  let db: TestDatabase;
  let t: TestApp;
  let url: string;
  let port: number;
  before(async () => {
    db = await createSqliteDatabase();
    t = await startTestApp(db, { config: { sseStreamsPerKey: 2, sseStallTimeoutMs: 500, sseHeartbeatMs: 200 } });
    url = await t.listen();
    port = Number(new URL(url).port);
    await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
  });
  after(async () => {
    await t?.close();
    await db?.cleanup();
  });

  it('refuses a key its third open stream with 429 RATE_LIMITED, and counts a closed one out', async () => {
    const key = await t.keyFor('viewer');
    const keyId = (await t.engine.keys.authenticate(key))!.keyId;
    const long = connect(port, '127.0.0.1', () => long.write(`GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`));
    long.on('error', () => {});
    const held = [null, readSse(`${url}/v1/events`, { key, timeoutMs: 1500 })];
    await waitUntil(() => t.app.rateLimits.streams.count(keyId) === 2, { what: 'two open streams' });
    const third = await statusOf(port, '/v1/events', key);
    assert.equal(third.status, 429);
    assert.match(third.head, /retry-after: \d+/i);
    assert.match(third.head, /"code":"RATE_LIMITED"/);
    // Another key is not affected.
    assert.equal((await statusOf(port, '/v1/events', t.adminKey)).status, 200);
    // When the short stream ends, its slot is free again.
    await held[1];
    await waitUntil(() => t.app.rateLimits.streams.count(keyId) === 1, { what: 'the slot released' });
    assert.equal((await statusOf(port, '/v1/events', key)).status, 200);
    await waitUntil(() => t.app.rateLimits.streams.count(keyId) === 1, { what: 'the probe released' });
    long.destroy();
    await waitUntil(() => t.app.rateLimits.streams.count(keyId) === 0, { what: 'the long stream released' });
  });

  it('drops a reader that stops reading, which then resumes with Last-Event-ID with no gap', async () => {
    const run = (await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'A' } } })).json();
    const workerKey = await t.keyFor('worker');
    const lease = (await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent: 'hello', wait_ms: 0 } })).json().tasks[0];
    // A client that reads the first frames, then stops reading.
    const key = await t.keyFor('viewer');
    const keyId = (await t.engine.keys.authenticate(key))!.keyId;
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET /v1/runs/${run.id}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`));
    let seen = '';
    let closed = false;
    let stopped = false;
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      seen += c;
      if (!stopped && seen.includes('event: run.started')) {
        stopped = true;
        socket.pause();
      }
    });
    socket.on('close', () => (closed = true));
    await waitUntil(() => socket.isPaused(), { what: 'the client to stop reading' });
    // About 24 MB of events: more than the socket buffers of both ends hold.
    const blob = 'x'.repeat(200_000);
    for (let i = 0; i < 30; i++) {
      const events = Array.from({ length: 4 }, () => ({ type: 'custom.blob', data: { blob } }));
      assert.equal((await t.call('POST', `/v1/leases/${lease.lease_id}/events`, { key: workerKey, body: { events } })).statusCode, 200);
    }
    await waitUntil(() => t.app.rateLimits.streams.count(keyId) === 0, { timeoutMs: 20_000, what: 'the stalled stream to be dropped' });
    // The client reads what it has, sees the close, and resumes after its last complete frame.
    socket.resume();
    await waitUntil(() => closed, { what: 'the client to see the close' });
    const ids = [...seen.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const frames = seen.split('\n\n');
    // The last frame may be cut; resume after the last id whose frame is complete.
    const complete = ids.filter((id) => frames.some((f) => f.includes(`id: ${id}\n`) && f.includes('\ndata: {') && f.trimEnd().endsWith('}')));
    const last = complete[complete.length - 1];
    assert.ok(last >= 2 && last < 122, `resumes after ${last}`);
    // A generous bound: 24 MB through a loaded two-core machine; the read ends at seq 122, not at the bound.
    // On a loaded machine the resumed reader (this process) can stall past the 500 ms too and be
    // dropped in turn: it resumes again from its last frame, as any client does; no gap, no repeat.
    const seqs: number[] = [];
    for (let from = last, reads = 0; from < 122 && reads < 20; reads++) {
      const rest = await readSse(`${url}/v1/runs/${run.id}/events`, { key, lastEventId: String(from), timeoutMs: 90_000, stopAfter: (f) => f.id === '122' });
      seqs.push(...rest.frames.filter((f) => f.id !== null).map((f) => Number(f.id)));
      from = seqs.at(-1) ?? from;
    }
    assert.deepEqual(seqs, Array.from({ length: 122 - last }, (_, i) => last + 1 + i));
  });
});

describe('10,000 concurrent SSE streams (real sockets, a client process)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let port: number;
  before(async () => {
    db = await createSqliteDatabase();
    // streamRecheckMs is raised so 10,000 idle loops do not poll the database every half second.
    // The server's memory as it runs in production: without the test-only tenant-scope guard,
    // whose walk of every query's tree would be measured along with the streams.
    t = await startTestApp(db, { store: { checkTenantScope: false }, config: { sseStreamsPerKey: 10_000, sseHeartbeatMs: 2000, streamRecheckMs: 60_000, sseStallTimeoutMs: 2000 } });
    port = Number(new URL(await t.listen()).port);
    await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
  });
  after(async () => {
    await killAllChildren();
    await t?.close();
    await db?.cleanup();
  });

  /** One wave: 10,000 streams open, events fan out, a third vanish, then all close. */
  async function wave(key: string, keyId: string, before: Mem): Promise<{ during: Mem; afterVanish: Mem; after: Mem }> {
    const swarm = new LineProcess(process.execPath, [SWARM, JSON.stringify({ port, key, count: 10_000, path: '/v1/events' })], { env: childEnv({}) });
    const opened = JSON.parse(await swarm.waitForLine((l) => l.includes('"opened"'), { timeoutMs: 180_000, what: 'the swarm to open' }));
    assert.deepEqual(opened.statuses, { 200: 10_000 });
    assert.equal(t.app.rateLimits.streams.count(keyId), 10_000);
    assert.equal((await statusOf(port, '/v1/events', key)).status, 429, 'the 10,001st stream of the key is refused');
    // Events fan out to every stream; readers get them, never-readers leave them in the socket.
    const frames0 = await framesOf(swarm);
    for (let i = 0; i < 5; i++) await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'x'.repeat(2000) } } });
    await waitUntil(async () => (await framesOf(swarm)) >= frames0 + 3334 * 5, { timeoutMs: 60_000, intervalMs: 500, what: 'every reader to get the 5 events' });
    const during = memory();
    swarm.child.kill('SIGUSR2');
    await waitUntil(() => t.app.rateLimits.streams.count(keyId) <= 10_000 - 3333, { timeoutMs: 30_000, what: 'vanished clients to be noticed' });
    const afterVanish = memory();
    swarm.child.kill('SIGTERM');
    await swarm.exited;
    await waitUntil(() => t.app.rateLimits.streams.count(keyId) === 0, { timeoutMs: 30_000, what: 'every stream to end' });
    // Closed sockets and their streams are let go over the next moments; bounded wait for it.
    let after = memory();
    // Not the verdict: a timeout here only ends the wait; the test asserts on `after` itself.
    await waitUntil(() => (after = memory()).heap - before.heap < (during.heap - before.heap) / 4, { timeoutMs: 20_000, intervalMs: 1000 }).catch(() => {});
    return { during, afterVanish, after };
  }

  /** Frames the swarm's readers have received so far (it answers SIGUSR1 with a report line). */
  async function framesOf(swarm: LineProcess): Promise<number> {
    const from = swarm.lines.length;
    swarm.child.kill('SIGUSR1');
    return JSON.parse(await swarm.waitForLine((l) => l.includes('"report"'), { from, timeoutMs: 10_000 })).frames;
  }

  it('serves them three times over, caps the key at 10,000, releases what they held and reaches a steady memory', { timeout: 600_000 }, async () => {
    const key = await t.keyFor('viewer');
    const keyId = (await t.engine.keys.authenticate(key))!.keyId;
    for (let i = 0; i < 3; i++) await t.call('GET', '/v1/agents', { key }); // warm the routes
    const before = memory();
    const waves = [];
    for (let n = 0; n < 3; n++) waves.push(await wave(key, keyId, before));
    const fig = (m: Mem) => `${mb(m.rss)} MB (JS heap ${mb(m.heap)} MB)`;
    process.stdout.write(
      `# 10,000 SSE streams, server RSS: before ${fig(before)}; ` +
        waves.map((w, n) => `wave ${n + 1} during ${fig(w.during)}, ${n === 0 ? `after 3,333 vanished ${fig(w.afterVanish)}, ` : ''}after all closed ${fig(w.after)}`).join('; ') +
        '\n',
    );
    assert.equal((await t.call('GET', '/v1/health', { key: null })).statusCode, 200);
    // Everything the streams held is released: the JS heap is back near its baseline after each wave.
    for (const w of waves) assert.ok(w.after.heap - before.heap < (w.during.heap - before.heap) / 4, `JS heap after ${fig(w.after)} vs before ${fig(before)}, during ${fig(w.during)}`);
    // Native memory reaches a steady state: the third wave adds less than half of what the first
    // took. (The second may still add: V8 keeps a larger heap reserved after it, and the allocator
    // its arenas; measured +28 to +268 MB over a first wave of 500–770 MB, then +2 to +6 MB a wave
    // for waves three to five, once +174 MB in a CI run whose JS heap was back at its baseline:
    // glibc's per-thread arenas. Streams that leaked what they hold would add a wave's growth each.)
    const [, second, third] = waves;
    const growth = waves[0].during.rss - before.rss;
    assert.ok(third.during.rss - second.during.rss < growth / 2, `RSS grew from ${fig(second.during)} to ${fig(third.during)} in the third wave`);
    assert.ok(third.after.rss - second.after.rss < growth / 2, `RSS after the third wave ${fig(third.after)} vs the second ${fig(second.after)}`);
  });
});
