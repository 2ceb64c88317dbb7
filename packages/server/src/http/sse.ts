import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

export interface SseOptions {
  /** Comment frames this often, so proxies keep the connection and dead peers are noticed. */
  heartbeatMs: number;
  /** A socket that has not drained for this long is closed; the client resumes with Last-Event-ID. */
  stallTimeoutMs: number;
}

/** A frame's `event:`/`id:` may not hold CR or LF, or one frame could forge another. */
const LINE_BREAK = /[\r\n]/;

/**
 * One SSE response. Writes wait for `drain` when the client reads slowly, so a stalled client
 * holds one socket buffer, never an unbounded queue; one that does not drain within the stall
 * timeout is dropped, so it does not hold even that. Pings go out only when nothing is queued:
 * behind a backlog they would prove nothing and only add to it. A peer that vanished without
 * closing is found by the pings too: unacknowledged data makes TCP give up on the connection,
 * which an idle connection would never do.
 */
export class SseStream {
  readonly #reply: FastifyReply;
  #closed = false;
  #heartbeat: NodeJS.Timeout;
  readonly #onClose: (() => void)[] = [];
  readonly #stallTimeoutMs: number;
  /** When the heartbeat first found the socket backed up, or null while it drains. */
  #backedUpSince: number | null = null;

  constructor(request: FastifyRequest, reply: FastifyReply, opts: SseOptions) {
    this.#reply = reply;
    this.#stallTimeoutMs = opts.stallTimeoutMs;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    reply.raw.write(': connected\n\n');
    this.#heartbeat = setInterval(() => {
      if (this.#closed) return;
      if (!reply.raw.writableNeedDrain) {
        this.#backedUpSince = null;
        reply.raw.write(': ping\n\n');
        return;
      }
      // Backed up with no send() waiting on it (pings filled the buffer, or a send gave up):
      // the same stall rule applies, or a reader that stopped would hold its slot for good.
      const now = Date.now();
      this.#backedUpSince ??= now;
      if (now - this.#backedUpSince >= this.#stallTimeoutMs) reply.raw.destroy();
    }, opts.heartbeatMs);
    reply.raw.on('close', () => this.#markClosed());
    reply.raw.on('error', () => this.#markClosed());
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const fn of this.#onClose.splice(0)) fn();
  }

  /** Sends one event; resolves once the socket can take more. */
  async send(id: string, event: string, data: unknown): Promise<void> {
    if (this.#closed) return;
    if (LINE_BREAK.test(id) || LINE_BREAK.test(event)) throw new Error('SSE id and event may not contain line breaks');
    // JSON.stringify escapes every line break inside strings, so the data is one line.
    const ok = this.#reply.raw.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (!ok && !this.#closed) {
      await new Promise<void>((resolve) => {
        const stalled = setTimeout(() => {
          // Closing the socket ends this stream (close → done); its events stay in the database.
          this.#reply.raw.destroy();
          done();
        }, this.#stallTimeoutMs);
        const done = () => {
          clearTimeout(stalled);
          this.#reply.raw.off('drain', done);
          // A long stream waits for drain many times: each wait leaves nothing behind.
          const i = this.#onClose.indexOf(done);
          if (i >= 0) this.#onClose.splice(i, 1);
          resolve();
        };
        this.#reply.raw.on('drain', done);
        this.onClose(done);
      });
    }
  }

  end(): void {
    if (!this.#closed) this.#reply.raw.end();
    this.#markClosed();
  }
}

/**
 * A wake-up flag for stream loops: a wake that arrives while the loop is reading the database is
 * remembered, so the loop reads again instead of sleeping through it.
 */
export class Waker {
  #pending = false;
  #resolve: (() => void) | null = null;

  wake(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  /** Resolves at the next wake (or at once if one is pending), or after `ms`. */
  async wait(ms: number): Promise<void> {
    if (!this.#pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.#resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#pending = false;
    this.#resolve = null;
  }
}

/** Picks SSE unless the client asks for JSON and not for an event stream. */
export function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}

/** One item a stream sends: its SSE id and event, the data, and the cursor to read after. */
export interface StreamFrame {
  id: string;
  event: string;
  data: unknown;
  cursor: number;
  /** The stream ends after this frame (a run's terminal event). */
  last?: boolean;
}

export interface PumpOptions {
  heartbeatMs: number;
  /** Re-read this often even without a wake-up (a missed NOTIFY costs latency, not data). */
  recheckMs: number;
  /** Subscribes to wake-ups; returns the unsubscribe. */
  subscribe(wake: () => void): () => void;
  /** Items after `cursor`, at most `limit`, in cursor order. */
  read(cursor: number, limit: number): Promise<StreamFrame[]>;
  start: number;
  /** Logged when the stream ends by an error. */
  what: string;
}

/** A small first page (a reconnecting client wants its next frame now), then bigger ones. */
const FIRST_PAGE = 50;
const STREAM_PAGE = 500;

/**
 * The loop every live stream runs: read after the cursor, send, and sleep until a wake-up.
 * Subscribing before the first read means nothing committed meanwhile is missed; between full
 * pages it yields to I/O so a client that hung up is noticed before the next page is read.
 */
export async function pumpStream(request: FastifyRequest, reply: FastifyReply, opts: PumpOptions): Promise<void> {
  const limits = request.server.rateLimits;
  const release = limits.streams.open(request.principal?.keyId ?? '');
  if (!release) {
    throw new ApiError('RATE_LIMITED', `this API key already has ${limits.streams.max} open streams on this node`, { limit: 'streams', max: limits.streams.max }, { 'retry-after': '5' });
  }
  let stream: SseStream;
  try {
    stream = new SseStream(request, reply, { heartbeatMs: opts.heartbeatMs, stallTimeoutMs: limits.config.sseStallTimeoutMs });
  } catch (err) {
    release();
    throw err;
  }
  stream.onClose(release);
  const waker = new Waker();
  const off = opts.subscribe(() => waker.wake());
  stream.onClose(() => {
    off();
    waker.wake();
  });
  let cursor = opts.start;
  let pageSize = FIRST_PAGE;
  try {
    while (!stream.closed) {
      const frames = await opts.read(cursor, pageSize);
      for (const f of frames) {
        await stream.send(f.id, f.event, f.data);
        cursor = f.cursor;
        if (f.last) return;
      }
      if (frames.length === pageSize) {
        pageSize = STREAM_PAGE;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await waker.wait(opts.recheckMs);
    }
  } catch (err) {
    request.log.warn({ err }, `${opts.what} ended by an error`);
  } finally {
    off();
    stream.end();
  }
}

/**
 * Where a stream resumes: `Last-Event-ID` wins over the query cursor; undefined when neither is
 * given. Both must be non-negative integers.
 */
export function resumeCursor(request: FastifyRequest, query: string | undefined, path: string): number | undefined {
  const header = request.headers['last-event-id'];
  const raw = typeof header === 'string' && header !== '' ? header : query;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new ApiError('VALIDATION_ERROR', `Last-Event-ID / ${path} must be a non-negative integer`, [{ path, message: 'must be a non-negative integer' }]);
  return Number(raw);
}
